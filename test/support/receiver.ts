import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseJson } from "../../src/tencent/json.js";

/** One callback as a receiver saw it. */
export interface Received {
  path: string;
  /** The query string as sent, `?` included: its parameter order is part of the wire format. */
  search: string;
  query: Record<string, string>;
  contentType: string | undefined;
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
