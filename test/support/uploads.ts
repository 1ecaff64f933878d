import { spawn } from "node:child_process";
import http from "node:http";

/** What a client library reported for one POST: the status and `Connection` header it read, or the error it raised instead. */
export interface UploadOutcome {
  status: number;
  connection: string | undefined;
  body: string;
  /** The client's error when it read no answer (its "status 0"), e.g. EPIPE or ECONNRESET. */
  error?: string;
}

const CHUNK = 64 * 1024;
export const CURL = "/usr/bin/curl";

/** undici `fetch` (Node's global): the body as one buffer (declared length) or as a stream (chunked). */
export async function fetchUpload(url: string, body: Buffer, chunked: boolean): Promise<UploadOutcome> {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      controller.enqueue(body.subarray(offset, (offset += CHUNK)));
    },
  });
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked ? stream : body,
      // Required by undici for a stream body.
      ...({ duplex: "half" } as object),
    });
    return { status: res.status, connection: res.headers.get("connection") ?? undefined, body: await res.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, connection: undefined, body: "", error: cause?.code ?? cause?.message ?? String(error) };
  }
}

/** Node's `http.request`, writing 64 KiB at a time as the socket drains (as a proxy or an upload would). */
export function httpUpload(url: string, body: Buffer, chunked: boolean): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": body.length }) },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        res.on("error", (e: NodeJS.ErrnoException) =>
          resolve({ status: 0, connection: undefined, body: "", error: e.code ?? e.message }),
        );
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ status: 0, connection: undefined, body: "", error: e.code ?? e.message }),
    );
    void (async () => {
      for (let i = 0; i < body.length && !req.destroyed; i += CHUNK) {
        if (!req.write(body.subarray(i, i + CHUNK))) await drained(req);
      }
      if (!req.destroyed) req.end();
    })();
  });
}

/** curl, sending a file (`--data-binary @file`: a declared length, with `Expect: 100-continue`) or chunked. */
export function curlUpload(url: string, file: string, chunked: boolean): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const args = ["-sS", "-m", "20", "-D", "-", "-H", "content-type: application/json"];
    if (chunked) args.push("-H", "transfer-encoding: chunked");
    const child = spawn(CURL, [...args, "--data-binary", `@${file}`, url]);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", () => {
      // The last head (after any "100 Continue") and the body.
      const heads = out.split("\r\n\r\n");
      const statuses = [...out.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      const final = statuses.findLast((s) => s >= 200) ?? 0;
      const head = heads.findLast((h) => /^HTTP\/1\.1 [2-5]\d\d/.test(h)) ?? "";
      resolve({
        status: final,
        connection: /^connection: *(.*)$/im.exec(head)?.[1]?.trim(),
        body: heads.at(-1) ?? "",
        ...(err.trim() ? { error: err.trim() } : {}),
      });
    });
  });
}

/** Resolves when `stream` drains or closes, leaving no listener behind. */
export function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
  });
}
