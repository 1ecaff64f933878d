import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJson } from "../tencent/json.js";
import { EnvelopeError } from "./envelope.js";

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The body as text, or undefined when it is over MAX_BODY_BYTES (read to the end either way). */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}

export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") throw new EnvelopeError(60003, "request body is empty; send a JSON object ({} at least)");
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    throw new EnvelopeError(60003, "request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EnvelopeError(60003, "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

export function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
