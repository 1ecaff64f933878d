import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { typePolicies } from "../../src/client/type-policies.js";
import { createLogger } from "../../src/server/logger.js";
import { loadManifest } from "../../src/config/trusted-documents.js";
import { ProfileNickDocument, ProfilesDocument } from "../__generated__/frontend/graphql.js";
import { recordingFetch } from "../support/frontend.js";
import { ACCEPT_GRAPHQL_RESPONSE } from "../support/http.js";
import { startService, type Service } from "../support/service.js";

// The manifest a frontend build wrote (codegen's client preset): the documents it may send.
const MANIFEST_PATH = "test/__generated__/frontend/persisted-documents.json";
const manifest = loadManifest(MANIFEST_PATH);
// "sha256:<hex>": the client preset embeds each document's hash in it, as `__meta__.hash`.
const hashOf = (document: object) => (document as { __meta__: { hash: string } }).__meta__.hash;
const NICK_HASH = hashOf(ProfileNickDocument);
const NICK_HEX = NICK_HASH.slice("sha256:".length);
const UNTRUSTED = "query Sneaky($id: ID!) { user(id: $id) { profile { nick } } }";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions: { code: string } }[] };

async function post(svc: Service, body: unknown, token: string | null = svc.userToken) {
  const res = await fetch(svc.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: ACCEPT_GRAPHQL_RESPONSE,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, ...((await res.json()) as Body) };
}

const byHash = (sha256Hash: string, variables?: unknown) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash } },
});
const NICK = { user: { __typename: "User", profile: { __typename: "Profile", nick: "张伟" } } };

describe("trusted documents, strict mode", () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService({}, { trustedDocuments: { manifest, mode: "strict" }, anonymousIntrospection: true });
  });
  afterAll(() => svc.close());

  it("runs a manifest document sent by its hash alone, with or without the sha256: prefix", async () => {
    for (const hash of [NICK_HEX, NICK_HASH]) {
      const res = await post(svc, byHash(hash, { id: "zhang.wei" }));
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({ __typename: "Query", user: { id: "zhang.wei", profile: { nick: "张伟" } } });
    }
  });

  it("runs it by GraphQL-over-HTTP documentId (POST and GET), and by hash in a GET", async () => {
    const res = await post(svc, { documentId: NICK_HASH, variables: { id: "zhang.wei" } });
    expect(res.data).toMatchObject(NICK);
    const variables = JSON.stringify({ id: "zhang.wei" });
    for (const params of [
      new URLSearchParams({ variables, extensions: JSON.stringify(byHash(NICK_HEX).extensions) }),
      new URLSearchParams({ documentId: NICK_HASH, variables }),
    ]) {
      const get = await fetch(`${svc.url}?${params.toString()}`, {
        headers: { authorization: `Bearer ${svc.userToken}` },
      });
      expect(get.status).toBe(200);
      expect(((await get.json()) as Body).data).toMatchObject(NICK);
    }
  });

  it("Apollo Client's persisted-queries link sends the client preset's hashes, and they run", async () => {
    const net = recordingFetch();
    const link = createPersistedQueryLink({ generateHash: hashOf }).concat(
      new HttpLink({ uri: svc.url, headers: { authorization: `Bearer ${svc.userToken}` }, fetch: net.fetch }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache({ typePolicies }) });
    const { data, error } = await client.query({ query: ProfilesDocument, errorPolicy: "all" });
    expect(net.sent).toEqual([{ method: "POST", operationName: "Profiles", hashOnly: true }]);
    expect(data?.users.map((u) => u?.profile?.nick ?? null)).toEqual(["张伟", "李娜", null]);
    expect(error?.message).toMatch(/ghost/);
  });

  it("runs a manifest document sent in full", async () => {
    const res = await post(svc, { query: manifest.get(NICK_HEX), variables: { id: "zhang.wei" } });
    expect(res.data).toMatchObject(NICK);
  });

  it("refuses any other operation with 403 OPERATION_NOT_TRUSTED, before any upstream call", async () => {
    svc.emulator.resetStats();
    const res = await post(svc, { query: UNTRUSTED, variables: { id: "zhang.wei" } });
    expect(res.status).toBe(403);
    expect(res.data).toBeUndefined();
    expect(res.errors?.map((e) => e.extensions.code)).toEqual(["OPERATION_NOT_TRUSTED"]);
    expect(res.errors?.[0]!.message).toMatch(/TRUSTED_DOCUMENTS/);
    expect(svc.portraitGets()).toEqual([]);
  });

  it("refuses to register another document as a persisted query, so its hash stays unknown", async () => {
    const register = await post(svc, { query: UNTRUSTED, ...byHash(sha256(UNTRUSTED), { id: "zhang.wei" }) });
    expect(register.status).toBe(403);
    const again = await post(svc, byHash(sha256(UNTRUSTED), { id: "zhang.wei" }));
    expect(again.errors?.map((e) => e.extensions.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
  });

  it("lets admin tokens run any operation", async () => {
    const res = await post(svc, { query: UNTRUSTED, variables: { id: "li.na" } }, svc.adminToken);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ user: { profile: { nick: "李娜" } } });
  });

  it("lets schema reads run: introspection with a token, _service without one (ANONYMOUS_INTROSPECTION here)", async () => {
    const introspection = await post(svc, { query: "{ __schema { queryType { name } } }" });
    expect(introspection.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const service = await post(svc, { query: "{ _service { sdl } }" }, null);
    expect(service.status).toBe(200);
    expect(JSON.stringify(service.data)).toMatch(/type User/);
  });
});

describe("trusted documents, log mode", () => {
  let svc: Service;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = createLogger({
      level: "warn",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    svc = await startService({}, { trustedDocuments: { manifest, mode: "log" }, logger });
  });
  afterAll(() => svc.close());
  const untrusted = () => lines.filter((l) => String(l.msg).startsWith("untrusted document"));

  it("runs untrusted documents and logs each one once, with its hash and operation name but never its variables", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(svc, { query: UNTRUSTED, variables: { id: "li.na", secret: "variable-value-7f3a" } });
      expect(res.data).toEqual({ user: { profile: { nick: "李娜" } } });
    }
    await post(svc, { query: "{ me { id } }" });
    expect(await post(svc, byHash(NICK_HEX, { id: "zhang.wei" }))).toMatchObject({ data: NICK });
    expect(untrusted().map((l) => [l.hash, l.operationName])).toEqual([
      [sha256(UNTRUSTED), "Sneaky"],
      [sha256("{ me { id } }"), null],
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/li\.na|variable-value-7f3a/);
  });
});

describe("a bad manifest", () => {
  it("stops start-up with the variable, the path and what is wrong", async () => {
    const child = spawn(process.execPath, ["dist/src/main.js"], {
      env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", TRUSTED_DOCUMENTS: "test/no-such-manifest.json" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).not.toBe(0);
    expect(output).toContain('TRUSTED_DOCUMENTS="test/no-such-manifest.json" is invalid');
    expect(output).toMatch(/cannot read it \(ENOENT\)/);
    expect(output).not.toMatch(/ready at/);
  });
});
