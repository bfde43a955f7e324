/**
 * The one Lua script every process runs against a shared quota (EVALSHA; loaded once, and sent
 * again on NOSCRIPT). Each call is one atomic step on the quota's keys, all under one hash tag
 * (see `quota-keys.ts`), with Redis's own clock (`TIME`), so machines with skewed clocks agree.
 *
 * The buckets are `PacedBucket`'s, in Redis: a level refilling at `limit / 60` per second up to
 * `limit * hold / 60` (hold = the one-second burst less the transit margin), a cost `c` admitted
 * when the level holds `min(c, capacity)`, a pause after a 429 that empties the bucket, a cold
 * first second (refill counts from the server's first answer), the server's remaining-* read
 * as a level the bucket is lowered to (never raised), and `ServerShadow`'s model of the server's
 * bucket since its last answer (refill the server wasted while it saw none of our requests is not
 * spent in one burst when it resumes).
 *
 * Operations (ARGV[1]):
 * - `take`: the RPM unit and the TPM estimate together, or neither (with the wait and the bucket
 *   that blocks), or a refusal when the estimate exceeds the whole TPM limit. Fairness between
 *   processes: a process refused once holds a ticket (its first refusal's time); a request may
 *   only take what the tickets older than its own leave in the buckets (see `FAIRNESS` in
 *   `redis-quota-store.ts`). Records the reservation with its expiry. While no process knows
 *   any limit of the quota (none told, none learned yet), only the first process to take sends
 *   (its burst, as one process alone would); the others wait for the first answer, whose headers
 *   give the limits to all, or the cold phase's length at most.
 * - `settle`: the estimate less the usage given back (or the excess charged); forgets the
 *   reservation; ends the cold phase (an answer came).
 * - `pause`: `pause_until` = the later of the one in force and now + ms; both buckets emptied.
 * - `observe`: ends the cold phase and the discovery (as `settle` does), lowers the levels to what the server reported.
 * - `touch`: the heartbeat. `leave`: the process's entry and ticket removed (a clean exit).
 *
 * Every call first rewrites the caller's entry in the process hash (expiry, the limits it was
 * told and the limits it last read from the server), drops expired entries, and sets the limit in
 * force to the lowest of them: limits are shared, and the lowest any live process knows wins.
 * Expired reservations and tickets are reclaimed on the way.
 *
 * Replies are arrays of strings (Lua numbers would be truncated to integers):
 * [status, waitMs, blockedBy, since, rpmLimit, tpmLimit, rpmLearned, tpmLearned, rpmLevel,
 *  tpmLevel, peers, allRequests, allTokens, inFlight, reclaimed] — status 1 taken, 0 wait,
 * -1 refused (too large), 2 done (other operations); limits "0" = unlimited.
 */

import { SILENCE_MS } from "../server-shadow.js";

/**
 * How long, at most, the other processes wait for the discovering process's first answer (an
 * answer with headers gives every process the limit; one without, or a failure, ends the wait too).
 * A bound only for a discoverer that never answers (killed, hung): the first answer of a loaded
 * machine or of a long completion can take seconds, and ending the wait on a timer instead let
 * every process send its unthrottled burst into an unknown limit.
 */
export const DISCOVER_MS = 15_000;
/** Meanwhile, a waiting process asks again this often. */
export const DISCOVER_RECHECK_MS = 200;

/** Reply positions (0-based), shared by the script and its reader. */
export const REPLY = {
  status: 0,
  waitMs: 1,
  blockedBy: 2,
  since: 3,
  rpmLimit: 4,
  tpmLimit: 5,
  rpmLearned: 6,
  tpmLearned: 7,
  rpmLevel: 8,
  tpmLevel: 9,
  peers: 10,
  allRequests: 11,
  allTokens: 12,
  inFlight: 13,
  reclaimed: 14,
} as const;

/**
 * KEYS: 1 state hash, 2 processes hash, 3 tickets zset, 4 ticket details hash, 5 reservations zset.
 * ARGV: 1 op, 2 process id, 3 hold seconds, 4 idle expiry ms, 5 process entry ttl ms, 6 cold ms,
 * 7..10 told rpm, told tpm, learned rpm, learned tpm (0 = none), then the operation's own:
 * take 11 tokens, 12 since (0 = none), 13 reservation id, 14 reservation ttl ms, 15 ticket grace ms;
 * settle 11 reserved, 12 used ("" = never counted), 13 reservation id; pause 11 ms;
 * observe 11 remaining requests, 12 remaining tokens, 13 reported rpm, 14 reported tpm ("" = absent).
 */
export const QUOTA_SCRIPT = `-- llmbatch quota script (see quota-script.ts)
local kState, kProcs, kTickets, kTicketInfo, kHeld = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op, proc = ARGV[1], ARGV[2]
local hold, idle, procTtl, coldMs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000

local function num(s)
  if s == false or s == nil or s == '' then return nil end
  return tonumber(s)
end
local function fmt(x) return string.format('%.17g', x) end
local function lower(a, b)
  if b == nil or b <= 0 then return a end
  if a == nil or b < a then return b end
  return a
end

-- The caller's entry, then every live one: the limit in force is the lowest told or learned.
if op == 'leave' then
  redis.call('HDEL', kProcs, proc)
  redis.call('ZREM', kTickets, proc)
  redis.call('HDEL', kTicketInfo, proc)
else
  redis.call('HSET', kProcs, proc, fmt(now + procTtl) .. ' ' .. ARGV[7] .. ' ' .. ARGV[8] .. ' ' .. ARGV[9] .. ' ' .. ARGV[10])
end
local peers, toldR, toldT, learnR, learnT = 0, nil, nil, nil, nil
local entries = redis.call('HGETALL', kProcs)
for i = 1, #entries, 2 do
  local f = {}
  for x in string.gmatch(entries[i + 1], '%S+') do f[#f + 1] = tonumber(x) end
  if f[1] == nil or f[1] < now then
    redis.call('HDEL', kProcs, entries[i])
  else
    peers = peers + 1
    toldR, toldT, learnR, learnT = lower(toldR, f[2]), lower(toldT, f[3]), lower(learnR, f[4]), lower(learnT, f[5])
  end
end
local limR, limT = lower(toldR, learnR), lower(toldT, learnT)

local s = redis.call('HMGET', kState, 'rl', 'tl', 'rL', 'tL', 't', 'pu', 'cu', 'n', 'k', 'x', 'rs', 'ra', 'ru', 'ts', 'ta', 'tu', 'du', 'dp')
local last = num(s[5]) or now
local pauseUntil = num(s[6]) or 0
local coldUntil = num(s[7]) or (now + coldMs)
local allReq, allTok, reclaimed = num(s[8]) or 0, num(s[9]) or 0, num(s[10]) or 0
-- sl, sa, su: the server's shadow (its level at the last answer, when, and admitted since; see server-shadow.ts).
local R = { level = num(s[1]) or 0, lim = num(s[3]), sl = num(s[11]), sa = num(s[12]) or 0, su = num(s[13]) or 0 }
local T = { level = num(s[2]) or 0, lim = num(s[4]), sl = num(s[14]), sa = num(s[15]) or 0, su = num(s[16]) or 0 }
-- Discovery: while no process knows a limit, the first to take may send its burst; the others wait
-- for the server's first answer (its headers give the limit to all), at most DISCOVER_MS.
local discoverUntil = num(s[17]) or (now + ${DISCOVER_MS})
local discoverer = s[18]
if R.lim == 0 then R.lim = nil end
if T.lim == 0 then T.lim = nil end

local function cap(x) return x.lim * hold / 60 end

-- Refill since the last step (none while cold: the server's bucket gains nothing before it has
-- seen a request), then the limit in force; a bucket that was unlimited starts full.
local from = last
local cold = coldUntil > 0 and now < coldUntil
if coldUntil > 0 and not cold then
  from = math.max(last, coldUntil)
  coldUntil = 0
end
local function step(x, lim)
  if x.lim ~= nil and not cold and now > from then
    x.level = math.min(cap(x), x.level + (now - from) * x.lim / 60000)
  end
  if lim ~= x.lim then
    local was = x.lim
    x.lim = lim
    if lim ~= nil then
      if was == nil then x.level = cap(x) else x.level = math.min(x.level, cap(x)) end
    end
  end
end
step(R, limR)
step(T, limT)

-- The server's shadow: past SILENCE_MS without an answer it is dropped.
local function shadowed(x)
  if x.sl == nil or x.lim == nil then return false end
  if now - x.sa < ${SILENCE_MS} then return true end
  x.sl, x.su = nil, 0
  return false
end
local function shadowHeld(x) return math.min(cap(x), x.sl + (now - x.sa) * x.lim / 60000) end
-- The refill the server wasted while it could not see the requests admitted since its last answer is gone.
local function follow(x)
  if not shadowed(x) then return end
  local room = shadowHeld(x) - x.su
  if x.level > room then x.level = room end
end
local function shadowWait(x, c)
  if not shadowed(x) then return 0 end
  local need = math.min(c, cap(x)) + x.su
  local held = shadowHeld(x)
  if held >= need then return 0 end
  local expiry = x.sa + ${SILENCE_MS} - now
  if cap(x) < need then return math.max(1, math.ceil(expiry)) end
  return math.max(1, math.min(math.ceil(expiry), math.ceil((need - held) / (x.lim / 60000) - 1e-6)))
end

reclaimed = reclaimed + redis.call('ZREMRANGEBYSCORE', kHeld, '-inf', fmt(now))

local status, waitMs, blockedBy, since = 2, 0, 0, 0

if op == 'take' then
  local cost = tonumber(ARGV[11])
  local mySince = num(ARGV[12])
  if mySince == 0 then mySince = nil end
  local held = num(redis.call('ZSCORE', kTickets, proc))
  if held ~= nil and (mySince == nil or held < mySince) then mySince = held end
  local myKey = mySince or now
  -- The requests of the processes refused before this one: what they need stays in the buckets.
  local olderR, olderT, maxWake, minExpiry = 0, 0, nil, nil
  local tickets = redis.call('ZRANGE', kTickets, 0, -1, 'WITHSCORES')
  for i = 1, #tickets, 2 do
    local id, score = tickets[i], tonumber(tickets[i + 1])
    local info = redis.call('HGET', kTicketInfo, id)
    local f = {}
    if info then for x in string.gmatch(info, '%S+') do f[#f + 1] = tonumber(x) end end
    if f[3] == nil or f[3] < now then
      redis.call('ZREM', kTickets, id)
      redis.call('HDEL', kTicketInfo, id)
    elseif id ~= proc and (score < myKey or (score == myKey and id < proc)) then
      if R.lim ~= nil then olderR = olderR + math.min(1, cap(R)) end
      if T.lim ~= nil then olderT = olderT + math.min(f[1], cap(T)) end
      if maxWake == nil or f[2] > maxWake then maxWake = f[2] end
      if minExpiry == nil or f[3] < minExpiry then minExpiry = f[3] end
    end
  end
  local function wait(x, c, older)
    if x.lim == nil then return 0 end
    local need = math.min(c, cap(x)) + older
    if x.level >= need then return 0 end
    if cold then return math.max(1, coldUntil - now) end
    if need > cap(x) then
      -- Only the older waiters' admission makes room: ask again once they have woken.
      if maxWake ~= nil and maxWake > now then return math.max(1, math.ceil(maxWake - now) + 1) end
      return math.max(1, math.ceil((minExpiry or (now + 1)) - now))
    end
    return math.max(1, math.ceil((need - x.level) / (x.lim / 60000) - 1e-6))
  end
  local discovering = limR == nil and limT == nil and discoverUntil > 0 and now < discoverUntil
  if discovering and not discoverer then discoverer = proc end
  if T.lim ~= nil and cost > T.lim then
    status, waitMs = -1, 0
  elseif discovering and discoverer ~= proc then
    -- Asked again soon (nothing wakes a waiter in another process when the answer comes).
    status, waitMs, blockedBy = 0, math.max(1, math.min(${DISCOVER_RECHECK_MS}, math.ceil(discoverUntil - now))), 1
  elseif now < pauseUntil then
    status, waitMs, blockedBy = 0, math.max(1, math.ceil(pauseUntil - now)), 1
  else
    follow(R)
    follow(T)
    local wR = math.max(wait(R, 1, olderR), shadowWait(R, 1))
    local wT = math.max(wait(T, cost, olderT), shadowWait(T, cost))
    if wR == 0 and wT == 0 then
      status = 1
      if R.lim ~= nil then R.level = R.level - 1 end
      if T.lim ~= nil then T.level = T.level - cost end
      if R.sl ~= nil then R.su = R.su + 1 end
      if T.sl ~= nil then T.su = T.su + cost end
      allReq = allReq + 1
      redis.call('ZREM', kTickets, proc)
      redis.call('HDEL', kTicketInfo, proc)
      redis.call('ZADD', kHeld, fmt(now + tonumber(ARGV[14])), ARGV[13])
    else
      status = 0
      if wR >= wT then waitMs, blockedBy = wR, 1 else waitMs, blockedBy = wT, 2 end
    end
  end
  if status == 0 then
    since = myKey
    local wake = now + waitMs
    redis.call('ZADD', kTickets, fmt(myKey), proc)
    redis.call('HSET', kTicketInfo, proc, fmt(cost) .. ' ' .. fmt(wake) .. ' ' .. fmt(wake + tonumber(ARGV[15])))
  end
elseif op == 'settle' then
  -- An answer (as in MemoryQuotaStore): the server has seen requests, so refill counts from now.
  coldUntil = 0
  -- and the discovery is over: an answer without headers teaches nothing more by waiting.
  discoverUntil = 0
  local reserved, used = tonumber(ARGV[11]), num(ARGV[12])
  if T.lim ~= nil then
    local back = reserved - (used or 0)
    if back > 0 then T.level = math.min(cap(T), T.level + back) else T.level = T.level + back end
  end
  if used ~= nil then allTok = allTok + used
  else
    -- Never counted at the server: it no longer waits in front of it.
    R.su = math.max(0, R.su - 1)
    T.su = math.max(0, T.su - reserved)
  end
  redis.call('ZREM', kHeld, ARGV[13])
elseif op == 'pause' then
  local ms = tonumber(ARGV[11])
  if ms > 0 then
    if R.lim ~= nil then R.level = math.min(R.level, 0) end
    if T.lim ~= nil then T.level = math.min(T.level, 0) end
    if now + ms > pauseUntil then pauseUntil = now + ms end
  end
elseif op == 'observe' then
  coldUntil = 0
  discoverUntil = 0
  -- Before the headers replace the shadow: they predate the requests still in front of the server.
  follow(R)
  follow(T)
  local function read(x, remaining, reported)
    if x.lim == nil or remaining == nil or reported == nil or reported <= 0 then return end
    local serverLevel = cap(x) - math.max(0, reported - remaining - 1)
    if serverLevel < x.level then x.level = serverLevel end
    x.sl, x.sa, x.su = serverLevel, now, 0
  end
  read(R, num(ARGV[11]), num(ARGV[13]))
  read(T, num(ARGV[12]), num(ARGV[14]))
end

redis.call('HSET', kState, 'rl', fmt(R.level), 'tl', fmt(T.level), 'rL', fmt(R.lim or 0), 'tL', fmt(T.lim or 0),
  't', fmt(now), 'pu', fmt(pauseUntil), 'cu', fmt(coldUntil), 'n', fmt(allReq), 'k', fmt(allTok), 'x', fmt(reclaimed),
  'ra', fmt(R.sa), 'ru', fmt(R.su), 'ta', fmt(T.sa), 'tu', fmt(T.su), 'du', fmt(discoverUntil))
if discoverer then redis.call('HSET', kState, 'dp', discoverer) end
for _, x in ipairs({ { R, 'rs' }, { T, 'ts' } }) do
  if x[1].sl == nil then redis.call('HDEL', kState, x[2]) else redis.call('HSET', kState, x[2], fmt(x[1].sl)) end
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, idle) end

local function learned(lim, l) if lim ~= nil and l ~= nil and lim == l then return '1' end return '0' end
return { tostring(status), fmt(waitMs), tostring(blockedBy), fmt(since), fmt(R.lim or 0), fmt(T.lim or 0),
  learned(R.lim, learnR), learned(T.lim, learnT), fmt(R.level), fmt(T.level), tostring(peers),
  fmt(allReq), fmt(allTok), tostring(redis.call('ZCARD', kHeld)), fmt(reclaimed) }
`;
