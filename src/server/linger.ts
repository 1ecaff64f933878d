import type { IncomingMessage } from "node:http";

export interface LingerBounds {
  /** Longest time the connection stays open after the answer. */
  maxMs: number;
  /** Most body bytes read (and dropped) after the answer. */
  maxBytes: number;
}

/**
 * Close the connection of a request answered before its body was read (413, 415) as nginx's
 * "lingering close" does, so that the client reads the answer.
 *
 * Closing at once, while the client is still sending, leaves its unread bytes in our socket: the
 * kernel then answers with a TCP reset, and the client's next write fails (EPIPE, ECONNRESET)
 * before it has read the 413 that already arrived. undici `fetch` and Node's `http` then report a
 * network error (status 0), curl a "send failure". Instead the answer is followed by a FIN only
 * (the client can read it, and closes), and whatever more arrives is read and dropped, never
 * buffered, until the client closes, its body ends, or a bound is reached; then the socket closes.
 *
 * Node closes the socket of a `Connection: close` answer with `socket.destroySoon()` once the
 * answer is written; this replaces that one call, for this one socket.
 */
export function lingerAfterAnswer(request: IncomingMessage, bounds: LingerBounds): void {
  const socket = request.socket;
  socket.destroySoon = function lingeringClose() {
    if (socket.writable) socket.end();
    let dropped = 0;
    const close = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(close, bounds.maxMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    // The whole body arrived after all: nothing is left unread, so closing now sends no reset.
    request.once("end", close);
    request.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > bounds.maxBytes) close();
    });
    request.resume();
  };
}
