import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useMainProcesses } from "../support/main.js";
import { startService } from "../support/service.js";
import { openSocket } from "../support/sockets.js";
import { CURL, curlUpload, drained, fetchUpload, httpUpload, type UploadOutcome } from "../support/uploads.js";

// A body over BODY_LIMIT_BYTES (1 MiB by default) must reach the client as a 413 it can read.
// Before the lingering close, the service closed while the client was still sending; the client's
// next write met a TCP reset, so undici fetch and Node's http reported EPIPE (status 0) instead of
// the 413 already in their socket, and curl sometimes "Send failure: Broken pipe".
// The service runs as its own process, as in production: with client and server on one event
// loop the client reads the answer before the server's close is even processed, which hides it.

const startMain = useMainProcesses("file");
let url: string;
let emulatorUrl: string;
let dir: string;
const SIZES = { "5 MiB": 5 * 1024 * 1024, "50 MiB": 50 * 1024 * 1024 };
const bodies = new Map<string, { buffer: Buffer; file: string }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portrait-graph-body-"));
  for (const [name, size] of Object.entries(SIZES)) {
    const buffer = Buffer.concat([Buffer.from('{"query":"'), Buffer.alloc(size - 13, "a"), Buffer.from('"}')]);
    const file = join(dir, `${size}.json`);
    await writeFile(file, buffer);
    bodies.set(name, { buffer, file });
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const readable = (outcome: UploadOutcome) => ({
  status: outcome.status,
  connection: outcome.connection,
  code: outcome.status
    ? (JSON.parse(outcome.body) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code
    : outcome.error,
});
const REFUSED = { status: 413, connection: "close", code: "PAYLOAD_TOO_LARGE" };

describe("a body over the limit, sent to the service running as its own process", () => {
  beforeAll(async () => {
    const { output } = await startMain({ LOG_LEVEL: "warn" }, /embedded Tencent IM emulator at \S+/);
    url = /ready at (\S+)/.exec(output)![1]!;
    emulatorUrl = /embedded Tencent IM emulator at (\S+)/.exec(output)![1]!;
    // The readiness check's own portrait_get may land after the "ready at" line on a loaded machine:
    // wait for it, so that the call log holds only what the oversized bodies caused.
    await vi.waitFor(async () => expect((await fetch(new URL("/readyz", url))).status).toBe(200), { timeout: 10_000 });
    await fetch(`${emulatorUrl}/emulator/stats`, { method: "DELETE" });
  });

  describe.each(Object.keys(SIZES))("%s", (size) => {
    describe.each([
      ["with its length declared", false],
      ["chunked", true],
    ] as const)("%s", (_shape, chunked) => {
      it("reaches undici fetch as a readable 413 with Connection: close", async () => {
        expect(readable(await fetchUpload(url, bodies.get(size)!.buffer, chunked))).toEqual(REFUSED);
      });
      it("reaches Node's http as a readable 413 with Connection: close", async () => {
        expect(readable(await httpUpload(url, bodies.get(size)!.buffer, chunked))).toEqual(REFUSED);
      });
      it.skipIf(!existsSync(CURL))("reaches curl as a readable 413 with Connection: close", async () => {
        expect(readable(await curlUpload(url, bodies.get(size)!.file, chunked))).toEqual(REFUSED);
      });
    });
  });

  it("answers Expect: 100-continue with a declared length over the limit by 413, before any of the body is sent", async () => {
    const socket = await openSocket(url);
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`,
    );
    // Nothing more is sent: the service answers and closes on its own.
    const text = await socket.ended;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).not.toContain("100 Continue");
  });

  it("made no upstream call for any of them", async () => {
    const stats = (await (await fetch(`${emulatorUrl}/emulator/stats`)).json()) as { calls: unknown[] };
    expect(stats.calls).toEqual([]);
  });
});

describe("the lingering close", () => {
  it("still tells a client under the limit to go on (100 Continue), then answers it", async () => {
    const svc = await startService();
    try {
      const socket = await openSocket(svc.url);
      const body = JSON.stringify({ query: "{ __typename }" });
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${svc.userToken}\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      await expect.poll(() => socket.received()).toMatch(/^HTTP\/1\.1 100 Continue/);
      socket.write(body);
      expect(await socket.ended).toMatch(/HTTP\/1\.1 200 [\s\S]*"__typename":"Query"/);
    } finally {
      await svc.close();
    }
  });

  it("drains at most its byte bound after the answer, then closes, however long the client goes on sending", async () => {
    const svc = await startService({}, { http: { linger: { maxMs: 60_000, maxBytes: 256 * 1024 } } });
    try {
      const socket = await openSocket(svc.url);
      const declared = 200 * 1024 * 1024;
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(64 * 1024, "a");
      let written = 0;
      // A client that ignores the answer and the FIN: only the service's bound ends the connection.
      while (!socket.closed() && written < declared) {
        if (!socket.socket.write(chunk)) await drained(socket.socket);
        written += chunk.length;
      }
      expect(await socket.ended).toMatch(/^HTTP\/1\.1 413 /);
      expect(written).toBeLessThan(declared);
    } finally {
      await svc.close();
    }
  });
});
