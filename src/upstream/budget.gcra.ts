import { LuaScript } from "../redis/link.js";

/*
 * GCRA (generic cell rate algorithm) in one atomic script, on Redis's clock.
 *
 * Why not a fixed-window counter (INCR a per-second key, as rate-limiter-flexible's Redis limiter
 * does): a fixed window admits `rate` calls at the end of one window and `rate` more at the start
 * of the next, so 2 × rate calls can leave within a few milliseconds. Tencent counts calls per API
 * per second on its own clock, which is not aligned with ours, and answers the excess with 60007.
 * GCRA spaces grants `1/rate` apart (with burst 1), so every 1-second window, wherever it starts,
 * holds at most `rate` grants.
 *
 * Take now or say how long to wait: a slot is granted only if it can be used at once; otherwise the
 * script reserves nothing and returns the wait. A reservation of a future slot would be spent by a
 * timer that may fire late, back to back with another replica's on-time call.
 *
 * The theoretical arrival time (TAT) is kept in microseconds of Redis's `TIME`, so replicas'
 * clocks never matter. Values stay below 2^53, exact in Lua's doubles; '%.0f' writes them without
 * the exponent that tostring() would use.
 *
 * KEYS[1] the API's TAT; ARGV[1] emission interval T (µs); ARGV[2] tolerance (burst - 1) · T (µs).
 * Returns { wait in µs (0: granted), Redis time in µs (for observers: the tests count grants by it) }.
 */
export const GCRA = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return { wait, now } end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return { 0, now }
`);
