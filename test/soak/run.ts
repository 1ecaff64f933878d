/**
 * `npm run soak`: a bounded run of concurrent readers and writers against the service while the
 * emulator misbehaves the way the real service may, then proof that every acknowledged write reads
 * back. Not part of `npm test`.
 *
 * Everything runs in this one process on loopback: the emulator (20–60 ms latency, 1% HTTP 502,
 * 0.5% dropped connections, per-account 40006 on 2% of account reads, a throttle of
 * SOAK_UPSTREAM_RATE calls/s per API below the client's SOAK_CLIENT_RATE, and on 2% of writes an
 * answer later than the client's timeout, on another 2% the write itself applied later than it),
 * the service (createServer), and the load: SOAK_READERS clients reading 1–10 random accounts,
 * SOAK_WRITERS clients each writing its own accounts one write at a time.
 *
 * It prints request counts by outcome, upstream attempts per successful call by API, RSS at the
 * start and the end, and a verdict. Exit code 1 when an acknowledged write does not read back, a
 * read answered wrong data, or any request got INTERNAL_SERVER_ERROR.
 *
 * Knobs: SOAK_SECONDS (default 60), SOAK_READERS (32), SOAK_WRITERS (8), SOAK_CLIENT_RATE (100),
 * SOAK_UPSTREAM_RATE (50).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import { Pool } from "undici";
import { createEmulator } from "../../src/emulator/emulator.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { ADMIN_SCOPE, createAuthenticator } from "../../src/server/auth.js";
import { createLogger } from "../../src/server/logger.js";
import { createServer } from "../../src/server/server.js";
import { createUpstream } from "../../src/upstream/upstream.js";
import { WriteLedger, type ReadBack, type WriteOutcome } from "./ledger.js";

const knob = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
};
const SECONDS = knob("SOAK_SECONDS", 60);
const READERS = knob("SOAK_READERS", 32);
const WRITERS = knob("SOAK_WRITERS", 8);
const CLIENT_RATE = knob("SOAK_CLIENT_RATE", 100);
const UPSTREAM_RATE = knob("SOAK_UPSTREAM_RATE", 50);

const APP = { sdkAppId: 1400000000, secretKey: "soak-secret-key", adminIdentifier: "administrator" };
const JWT_SECRET = "soak-jwt-secret-soak-jwt-secret-0123456789";
const ACCOUNTS = Array.from({ length: 2000 }, (_, i) => `soak${i}`);
const WRITTEN = ACCOUNTS.slice(0, 400);
const CLIENT_TIMEOUT_MS = 1000;
/** The emulator's write delays (answer late, applied late), each on LATE_WRITES of the writes. */
const ANSWER_LATE_MS = 1500;
const APPLY_LATE_MS = 1600;
const LATE_WRITES = 0.02;
const FAULTS = { "502": 0.01, drop: 0.005 };
const ACCOUNT_FAULTS = { "40006": 0.02 };
const READ = `query($ids: [ID!]!) { users(ids: $ids) { id profile { nick custom(keys: ["Score"]) } } }`;
const WRITE = `mutation($id: ID!, $nick: String!, $score: JSON!) { setProfile(userId: $id, input: { nick: $nick, custom: { Score: $score } }) { id } }`;

type Answer = {
  data?: { users?: { id: string; profile: { nick: string | null; custom: { Score?: number } | null } | null }[] };
  errors?: { extensions?: { code?: string; outcome?: string } }[];
};

/** The value an account holds, as one comparable string. */
const valueOf = (profile: { nick: string | null; custom: { Score?: number } | null } | null | undefined) =>
  profile ? `${profile.nick}|${profile.custom?.Score ?? "-"}` : "unreadable";

async function main() {
  const tags = TagRegistry.fromSpec("Test:string,Score:integer");
  const emulator = await createEmulator({
    ...APP,
    tags,
    rateLimit: UPSTREAM_RATE,
    latency: { min: 20, max: 60 },
    faults: FAULTS,
    quirks: { accountFaults: ACCOUNT_FAULTS, writeAnswerDelayMs: ANSWER_LATE_MS, writeApplyDelayMs: APPLY_LATE_MS },
    // The write delays are on for every write; this sleep waits them out for only some of them.
    sleep: (ms, signal) => {
      const late = ms === ANSWER_LATE_MS || ms === APPLY_LATE_MS;
      return late && Math.random() >= LATE_WRITES ? Promise.resolve() : sleep(ms, undefined, { signal });
    },
  });
  for (const id of ACCOUNTS) emulator.store.apply(id, [["Tag_Profile_IM_Nick", `nick-${id}`]]);
  const client = createUpstream({
    ...APP,
    baseUrl: await emulator.listen(0),
    rateLimit: CLIENT_RATE,
    timeoutMs: CLIENT_TIMEOUT_MS,
  });
  const logger = createLogger({ level: "error" });
  const server = await createServer({
    client,
    tags,
    authenticate: createAuthenticator({ jwtSecret: JWT_SECRET }),
    nodeEnv: "production",
    logger,
  });
  const url = new URL(await server.listen(0));
  await server.readiness.checked();
  const admin = await new SignJWT({ scope: ADMIN_SCOPE })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("administrator")
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(JWT_SECRET));
  const pool = new Pool(url.origin, { connections: READERS + WRITERS });
  const gql = async (query: string, variables: Record<string, unknown>): Promise<Answer> => {
    try {
      const res = await pool.request({
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query, variables }),
      });
      if (res.statusCode !== 200 && res.statusCode !== 400)
        return (await res.body.dump(), { errors: [{ extensions: { code: `HTTP_${res.statusCode}` } }] });
      return (await res.body.json()) as Answer;
    } catch {
      return { errors: [{ extensions: { code: "NO_ANSWER" } }] };
    }
  };

  const mib = () => Math.round(process.memoryUsage().rss / 1048576);
  const rss = { start: mib(), peak: mib() };
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, mib())), 1000);
  const counts = { read: new Map<string, number>(), write: new Map<string, number>() };
  const count = (kind: "read" | "write", outcome: string) =>
    counts[kind].set(outcome, (counts[kind].get(outcome) ?? 0) + 1);
  const outcomeOf = (answer: Answer) => {
    const first = answer.errors?.[0]?.extensions;
    return !first ? "ok" : first.outcome === "unknown" ? `${first.code} (outcome unknown)` : String(first.code);
  };
  const ledger = new WriteLedger((account) => `nick-${account}|-`, APPLY_LATE_MS + 60 + 100);
  const wrongReads: string[] = [];
  emulator.resetStats();
  const started = performance.now();
  const until = started + SECONDS * 1000;

  const readers = Array.from({ length: READERS }, async () => {
    while (performance.now() < until) {
      const ids = [
        ...new Set(
          Array.from(
            { length: 1 + Math.floor(Math.random() * 10) },
            () => ACCOUNTS[Math.floor(Math.random() * ACCOUNTS.length)]!,
          ),
        ),
      ];
      const answer = await gql(READ, { ids });
      count("read", outcomeOf(answer));
      // Accounts nobody writes must read exactly as seeded whenever they read at all.
      for (const user of answer.data?.users ?? []) {
        if (user.profile && !WRITTEN.includes(user.id) && valueOf(user.profile) !== `nick-${user.id}|-`)
          wrongReads.push(`${user.id}: ${valueOf(user.profile)}`);
      }
    }
  });
  let sequence = 0;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const mine = WRITTEN.filter((_, i) => i % WRITERS === w);
    while (performance.now() < until) {
      const id = mine[Math.floor(Math.random() * mine.length)]!;
      const n = ++sequence;
      const nick = `w${w}-${n}`;
      const sentAt = performance.now();
      const answer = await gql(WRITE, { id, nick, score: n });
      const outcome = outcomeOf(answer);
      count("write", outcome);
      const settled: WriteOutcome =
        outcome === "ok"
          ? "ok"
          : outcome.endsWith("(outcome unknown)") || outcome === "NO_ANSWER"
            ? "unknown"
            : "failed";
      ledger.record(id, `${nick}|${n}`, sentAt, settled);
    }
  });
  await Promise.all([...readers, ...writers]);
  const loadSeconds = (performance.now() - started) / 1000;
  const stats = emulator.stats();
  const accountFaults = stats.calls.reduce((n, c) => n + (c.results?.filter((r) => r === 40006).length ?? 0), 0);

  // Calm upstream; let writes that were to land late land; then read every written account back.
  emulator.configure({ faults: {}, quirks: {}, latencyMs: 0, rateLimit: 0 });
  await sleep(APPLY_LATE_MS + ANSWER_LATE_MS + 500);
  const readBack = new Map<string, string>();
  for (let i = 0; i < WRITTEN.length; i += 100) {
    const answer = await gql(READ, { ids: WRITTEN.slice(i, i + 100) });
    for (const user of answer.data?.users ?? []) readBack.set(user.id, valueOf(user.profile));
  }
  const verdicts = new Map<ReadBack, number>();
  const mismatches: string[] = [];
  for (const account of ledger.accounts()) {
    const actual = readBack.get(account) ?? "unreadable";
    const { readBack: judged, expected } = ledger.judge(account, actual);
    verdicts.set(judged, (verdicts.get(judged) ?? 0) + 1);
    if (judged === "mismatch") mismatches.push(`${account}: read ${actual}, acknowledged ${expected}`);
  }
  const unknown = ledger.unknownSummary((account) => readBack.get(account));
  const rssEnd = mib();
  clearInterval(sampler);

  const line = (map: Map<string, number>) =>
    [...map]
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
  const internal = (counts.read.get("INTERNAL_SERVER_ERROR") ?? 0) + (counts.write.get("INTERNAL_SERVER_ERROR") ?? 0);
  console.log(
    `\nportrait-graph soak — Node ${process.version}, ${loadSeconds.toFixed(1)} s, ${READERS} readers, ${WRITERS} writers over ${WRITTEN.length} of ${ACCOUNTS.length} accounts`,
  );
  console.log(
    `faults: latency 20-60 ms, HTTP 502 ${FAULTS["502"]}, dropped connection ${FAULTS.drop} (per call), per-account 40006 ${ACCOUNT_FAULTS["40006"]} (per account read; ${accountFaults} answered),`,
  );
  console.log(
    `        upstream ${UPSTREAM_RATE} calls/s per API vs client ${CLIENT_RATE}/s, write answer ${ANSWER_LATE_MS} ms late / write applied ${APPLY_LATE_MS} ms late on ${LATE_WRITES} of writes each, client timeout ${CLIENT_TIMEOUT_MS} ms`,
  );
  console.log(`reads  (${total(counts.read)}): ${line(counts.read)}`);
  console.log(`writes (${total(counts.write)}): ${line(counts.write)}`);
  for (const [api, { calls, outcomes }] of Object.entries(stats.byApi)) {
    const ok = outcomes["0"] ?? 0;
    const others = Object.entries(outcomes)
      .filter(([k]) => k !== "0")
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    console.log(
      `upstream ${api}: ${calls} attempts / ${ok} successful = ${(calls / Math.max(1, ok)).toFixed(3)} per needed call (${others || "no failures"})`,
    );
  }
  console.log(`RSS: start ${rss.start} MiB, end ${rssEnd} MiB, peak ${rss.peak} MiB`);
  console.log(
    `read-back of ${ledger.accounts().length} written accounts: ${line(verdicts)}; writes answered outcome unknown: ${unknown.unknown} (as their account's last write: ${unknown.lastAndLanded} landed, ${unknown.lastAndNotLanded} did not)`,
  );
  for (const m of mismatches.slice(0, 20)) console.log(`  MISMATCH ${m}`);
  for (const w of wrongReads.slice(0, 20)) console.log(`  WRONG READ ${w}`);

  const failed = mismatches.length > 0 || wrongReads.length > 0 || internal > 0;
  console.log(
    failed
      ? `verdict: FAIL — ${mismatches.length} acknowledged writes did not read back, ${wrongReads.length} wrong reads, ${internal} INTERNAL_SERVER_ERROR`
      : `verdict: PASS — all ${verdicts.get("acknowledged") ?? 0} acknowledged writes read back (${verdicts.get("unknown-landed") ?? 0} accounts hold a later unknown-outcome write), no wrong read, no INTERNAL_SERVER_ERROR`,
  );

  await pool.close();
  await server.close();
  await client.close();
  await emulator.close();
  process.exitCode = failed ? 1 : 0;
}

await main();
