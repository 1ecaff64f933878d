import { connect, type Socket } from "node:net";

/**
 * A raw TCP client socket to the service, for edge tests that must control exactly what is sent
 * and when (nothing, half a body, a keep-alive connection left idle). It never closes by itself:
 * only the server, or `destroy()`, ends it.
 */
export interface RawSocket {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  readonly received: () => string;
  /** True once the connection has closed (by either side). */
  readonly closed: () => boolean;
  /** Resolves when the connection closes, with everything received. */
  readonly ended: Promise<string>;
  /** `performance.now()` when it closed; undefined while open. */
  readonly closedAt: () => number | undefined;
  write(text: string): void;
  destroy(): void;
}

/** Open a raw socket to the host and port of `url`; resolves once TCP is connected. */
export function openSocket(url: string): Promise<RawSocket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    let closedAt: number | undefined;
    const ended = new Promise<string>((done) =>
      socket.on("close", () => {
        closedAt = performance.now();
        done(text);
      }),
    );
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.once("connect", () => {
      socket.off("error", reject);
      // A reset by the server is one way of closing: "close" follows and says so.
      socket.on("error", () => undefined);
      resolve({
        socket,
        received: () => text,
        closed: () => closedAt !== undefined,
        ended,
        closedAt: () => closedAt,
        write: (chunk) => void socket.write(chunk),
        destroy: () => socket.destroy(),
      });
    });
    socket.once("error", reject);
  });
}

/** One complete HTTP/1.1 GET of `path` that keeps the connection open afterwards. */
export function keepAliveGet(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`;
}

/** The count of HTTP responses in `text`, by status line (a kept-alive answer follows the last body directly). */
export function responses(text: string): number {
  return text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
}
