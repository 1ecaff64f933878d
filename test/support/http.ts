import { connect } from "node:net";
import { request } from "undici";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The answer as sent: its length is what the attacker got back. */
  text: string;
  json: {
    data?: unknown;
    errors?: { message: string; path?: (string | number)[]; extensions: Record<string, unknown> }[];
  };
}

/**
 * What today's GraphQL clients accept (Apollo Client 4 sends exactly this): refusals then come as
 * 4xx. Without it (curl, legacy clients, Apollo Gateway) the answer is application/json, where a
 * refused GraphQL request is a 200 (GraphQL over HTTP); tests of that pass their own `accept`.
 */
export const ACCEPT_GRAPHQL_RESPONSE = "application/graphql-response+json,application/json;q=0.9";

/** POST a body (a string is sent as is, anything else as JSON) to `url`, and read the whole answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT_GRAPHQL_RESPONSE, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return answer(res.statusCode, res.headers, await res.body.text());
}

/** GET `url` with a query string. */
export async function get(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const res = await request(`${url}?${new URLSearchParams(params).toString()}`, {
    headers: { accept: ACCEPT_GRAPHQL_RESPONSE, ...headers },
  });
  return answer(res.statusCode, res.headers, await res.body.text());
}

function answer(status: number, headers: RawAnswer["headers"], text: string): RawAnswer {
  let json: RawAnswer["json"] = {};
  try {
    json = JSON.parse(text) as RawAnswer["json"];
  } catch {
    // Not JSON (e.g. a 408 from Node itself): the text is there to read.
  }
  return { status, headers, text, json };
}

/** Write `head` on a raw socket and resolve with what the server answers, once it closes or sends a full head. */
export function rawExchange(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString();
      if (text.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
  });
}
