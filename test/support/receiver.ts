import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import { parseJson } from "../../src/tencent/json.js";
import { startEmulator } from "./emulator.js";

/** One callback as a receiver saw it. */
export interface Received {
  path: string;
  /** The query string as sent, `?` included: its parameter order is part of the wire format. */
  search: string;
  query: Record<string, string>;
  contentType: string | undefined;
  authorization: string | undefined;
  raw: string;
  body: Record<string, unknown>;
}

/**
 * A tiny HTTP receiver of Tencent callbacks on an ephemeral loopback port. It answers what Tencent
 * expects (`{"ActionStatus":"OK",…}`), or the status `answer` returns.
 */
export async function startReceiver(answer: (seen: Received) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://receiver");
      const seen: Received = {
        path: url.pathname,
        search: url.search,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers["content-type"],
        authorization: req.headers.authorization,
        raw,
        body: parseJson(raw) as Record<string, unknown>,
      };
      received.push(seen);
      const status = answer(seen);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tencent/callback`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What Tencent documents as the callback signature: hex(sha256(token + RequestTime)). */
export function callbackSign(token: string, requestTime: string | number): string {
  return createHash("sha256").update(`${token}${requestTime}`).digest("hex");
}

/**
 * An emulator whose callbacks go, signed with `token`, to a receiver of their own; both closed when
 * the test finishes. `nowMs` is the emulator's clock (its callbacks' EventTime and RequestTime).
 *
 *   const { emu, receiver } = await emulatorWithReceiver(TOKEN, () => NOW, { quirks: { duplicate: 1 } });
 */
export async function emulatorWithReceiver(
  token: string,
  nowMs: () => number,
  callbacks: Record<string, unknown> = {},
  options: Parameters<typeof startEmulator>[0] = {},
) {
  const receiver = await startReceiver();
  const emu = await startEmulator({
    rateLimit: 0,
    nowMs,
    callbacks: { urls: [receiver.url], token, ...callbacks },
    ...options,
  });
  onTestFinished(async () => {
    await emu.close();
    await receiver.close();
  });
  return { emu, receiver };
}
