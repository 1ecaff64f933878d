/**
 * The per-request-loader baseline: a GraphQL-free HTTP server that does what a per-request
 * DataLoader does when requests share no calls. Each request makes its own `portrait_get`
 * through the project's `Upstream` (undici pool, the same call budget of 200 calls/s), so
 * the only difference from the service is that concurrent requests never ride in one call.
 *
 *   POST /user   {"id": "bench-1"}                  → one portrait_get of [id]      → {"nick": …}
 *   POST /users  {"ids": [...], "perCall": 100}     → ⌈n/perCall⌉ calls, in parallel → {"nicks": [...]}
 *
 * A separate process (`node dist/test/bench/baseline.js`), configured by env by `run.ts`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createUpstream } from "../../src/upstream/upstream.js";

const NICK = "Tag_Profile_IM_Nick";
const env = process.env;
const client = createUpstream({
  sdkAppId: Number(env.TIM_SDKAPPID),
  secretKey: env.TIM_SECRET_KEY ?? "",
  baseUrl: env.TIM_BASE_URL!,
  rateLimit: Number(env.TIM_RATE_LIMIT ?? 200),
});

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}

/** Nicks of `ids`, in order, from calls of at most `perCall` accounts sent at once. */
async function nicks(ids: string[], perCall: number): Promise<(string | null)[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += perCall) chunks.push(ids.slice(i, i + perCall));
  const answers = await Promise.all(chunks.map((chunk) => client.portraitGet(chunk, [NICK])));
  return answers.flat().map((r) => (r.ok ? String(r.items.find((item) => item.Tag === NICK)?.Value ?? "") : null));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  let answer: unknown;
  if (req.url === "/user") answer = { nick: (await nicks([String(body.id)], 1))[0] };
  else if (req.url === "/users") answer = { nicks: await nicks(body.ids as string[], Number(body.perCall ?? 100)) };
  else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent)
      res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`baseline ready at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void client.close().then(() => process.exit(0)));
});
