import { randomInt } from "node:crypto";
import { SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { Dispatcher } from "undici";
import { TencentApiError, TencentTransportError, type TencentErrorKind } from "./errors.js";
import { parseJson } from "./json.js";
import { tracingOn } from "../util/tracing.js";

/** A parsed Tencent answer. */
export type TencentEnvelope = Record<string, unknown> & { ActionStatus: string; ErrorCode: number; ErrorInfo?: string };

/** One HTTP attempt, as metrics see it. Carries no secrets and no upstream address. */
export interface AttemptEvent {
  api: string;
  attempt: number;
  durationMs: number;
  outcome: "ok" | "error";
  kind?: TencentErrorKind;
  code?: number;
  httpStatus?: number;
}

export interface UpstreamBase {
  origin: string;
  /** A path prefix (TIM_BASE_URL behind a proxy). */
  prefix: string;
}

export interface Attempt {
  api: string;
  base: UpstreamBase;
  /** `sdkappid=…&identifier=…&usersig=…`. */
  query: string;
  payload: string;
  attempt: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  report: (event: AttemptEvent) => void;
}

/**
 * One POST to Tencent and its envelope, or a `TencentError`. Error messages name the API and what
 * went wrong, never the URL (it carries the UserSig) nor the upstream address; the network layer's
 * own words go to `detail`, for the server log.
 */
export async function attemptCall(dispatcher: Dispatcher, a: Attempt): Promise<TencentEnvelope> {
  const started = performance.now();
  // One span per HTTP attempt when an OpenTelemetry SDK is registered (none otherwise); no URL, no sig.
  const span = tracingOn()
    ? tracer.startSpan(`tencent ${a.api}`, {
        kind: SpanKind.CLIENT,
        attributes: { "tencent.api": a.api, "tencent.attempt": a.attempt },
      })
    : undefined;
  const report = (event: Partial<AttemptEvent>) => {
    const full: AttemptEvent = {
      api: a.api,
      attempt: a.attempt,
      durationMs: performance.now() - started,
      outcome: "error",
      ...event,
    };
    if (span) {
      if (full.code !== undefined) span.setAttribute("tencent.error_code", full.code);
      if (full.httpStatus !== undefined) span.setAttribute("http.response.status_code", full.httpStatus);
      if (full.outcome !== "ok") span.setStatus({ code: SpanStatusCode.ERROR, message: full.kind ?? "error" });
      span.end();
    }
    a.report(full);
  };
  // One timer per attempt, cleared when it ends (AbortSignal.timeout and AbortSignal.any cost
  // several objects, a weak reference and a timer that outlives the attempt).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The attempt timed out", "TimeoutError"));
  }, a.timeoutMs);
  timer.unref();
  const onAbort = () => controller.abort(a.signal!.reason);
  if (a.signal?.aborted) onAbort();
  else a.signal?.addEventListener("abort", onAbort, { once: true });
  const { signal } = controller;
  try {
    return await send(dispatcher, a, signal, () => timedOut, report, span);
  } finally {
    clearTimeout(timer);
    a.signal?.removeEventListener("abort", onAbort);
  }
}

/** The attempt itself, under `signal` (the caller's, or the attempt's timeout: `timedOut()`). */
async function send(
  dispatcher: Dispatcher,
  a: Attempt,
  signal: AbortSignal,
  timedOut: () => boolean,
  report: (event: Partial<AttemptEvent>) => void,
  span: Span | undefined,
): Promise<TencentEnvelope> {
  const path = `${a.base.prefix}/v4/${a.api}?${a.query}&random=${randomInt(0x1_0000_0000)}&contenttype=json`;

  let text: string;
  let status: number;
  try {
    const response = await dispatcher.request({
      origin: a.base.origin,
      path,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: a.payload,
      signal,
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    if (a.signal?.aborted) {
      span?.end();
      throw a.signal.reason;
    }
    report({ kind: "transient" });
    const code = (error as { code?: unknown }).code;
    // Refused or unresolvable connections never carried the request; anything later may have.
    const sent = !(typeof code === "string" && NOT_SENT_CODES.has(code));
    const why = timedOut()
      ? `timed out after ${Math.round(a.timeoutMs)} ms`
      : `network error${typeof code === "string" ? ` ${code}` : ""}`;
    throw new TencentTransportError(`Tencent ${a.api}: ${why}`, "transient", a.api, undefined, {
      sent,
      detail: error instanceof Error ? error.message : String(error),
    });
  }

  if (status !== 200) {
    const kind: TencentErrorKind = status >= 500 ? "transient" : status === 429 ? "throttled" : "config";
    report({ kind, httpStatus: status });
    // A 502/504 may come from a proxy after it forwarded the request; a 429 or 503 was refused before.
    throw new TencentTransportError(`Tencent ${a.api} answered HTTP ${status}`, kind, a.api, status, {
      sent: status !== 429 && status !== 503,
    });
  }
  let envelope: unknown;
  try {
    envelope = parseJson(text);
  } catch {
    envelope = undefined;
  }
  if (!isEnvelope(envelope)) {
    report({ kind: "transient", httpStatus: status });
    throw new TencentTransportError(
      `Tencent ${a.api} answered with a body that is not a JSON envelope`,
      "transient",
      a.api,
      status,
    );
  }
  const code = envelope.ErrorCode;
  if (code !== 0 || envelope.ActionStatus === "FAIL") {
    const error = new TencentApiError(code, String(envelope.ErrorInfo ?? ""), a.api, envelope);
    report({ kind: error.kind, code });
    throw error;
  }
  report({ outcome: "ok", code: 0 });
  return envelope;
}

const tracer = trace.getTracer("portrait-graph");

const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

function isEnvelope(value: unknown): value is TencentEnvelope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  // Some answers carry ErrorCode as a numeric string; read it as the number it is.
  if (typeof v.ErrorCode === "string" && /^\d+$/.test(v.ErrorCode)) v.ErrorCode = Number(v.ErrorCode);
  return typeof v.ErrorCode === "number" && typeof v.ActionStatus === "string";
}
