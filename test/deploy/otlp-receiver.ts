import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as OTLP/JSON carries it (ids in hex), with its resource's service name. */
export interface ReceivedSpan {
  service: string | undefined;
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: (Omit<ReceivedSpan, "attributes" | "service" | "scope"> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

/**
 * An OTLP/HTTP receiver for traces in JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), as a
 * collector's `otlp` receiver on :4318 accepts them: POST /v1/traces. Anything else is 404.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const posts: { path: string; contentType: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      posts.push({ path: req.url ?? "", contentType: req.headers["content-type"] });
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      spans.push(...decode(JSON.parse(body) as OtlpTraces));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decode(message: OtlpTraces): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of message.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          service: resource["service.name"] as string | undefined,
          scope: scopeSpans.scope?.name ?? "",
          name: span.name,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          kind: span.kind,
          attributes: attributes(span.attributes),
        });
      }
    }
  }
  return out;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.boolValue ??
      value.doubleValue;
  }
  return out;
}
