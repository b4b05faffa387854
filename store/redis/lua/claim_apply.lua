-- claim_apply: ARGV[3] node, ARGV[4] number of jobs, then per job: id,
-- version read, unfinished runs seen, next_run_time read, paused read,
-- '1' if finished, the new next_run_time, the number of runs and the runs
-- (see read_run). Each job is applied only if it is as it was read (same
-- version, fields and unfinished-run count); the claiming node's lease is
-- checked once by the store's clock. A run whose id or fire key is
-- already recorded is not recorded again (seq "0").
-- Reply: ["ok", id, status, n, seq1..seqn, ...] with status "ok",
-- "conflict" or "gone" (n = 0 unless ok) | ["leaselost"].
local prev = replay()
if prev then return prev end
if not live(ARGV[3], now_us()) then return reply({ 'leaselost' }) end
argi = 5
local res = { 'ok' }
local changed = false
for _ = 1, tonumber(ARGV[4]) do
  local id, ver, active, seen_next, seen_paused = nextarg(), nextarg(), nextarg(), nextarg(), nextarg()
  local finished, nxt = nextarg() == '1', nextarg()
  local runs = {}
  for i = 1, tonumber(nextarg()) do runs[i] = read_run() end
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'version', 'next_run_time', 'paused')
  res[#res + 1] = id
  if not f[1] and redis.call('EXISTS', key) == 0 then
    res[#res + 1] = 'gone'
    res[#res + 1] = '0'
  elseif (tonumber(f[1]) or 1) ~= tonumber(ver) or (f[2] or '') ~= seen_next or (f[3] or '') ~= seen_paused
      or redis.call('SCARD', jobactive_key(id)) ~= tonumber(active) then
    res[#res + 1] = 'conflict'
    res[#res + 1] = '0'
  else
    res[#res + 1] = 'ok'
    res[#res + 1] = istr(#runs)
    for _, r in ipairs(runs) do
      if claim_fire(r) then
        res[#res + 1] = istr(record_run(r))
      else
        res[#res + 1] = '0'
      end
    end
    if finished then
      drop_job(id)
    else
      redis.call('HSET', key, 'next_run_time', nxt, 'version', istr((tonumber(f[1]) or 1) + 1))
      if nxt ~= '' then
        redis.call('ZADD', K.due, nxt, id)
        redis.call('SREM', K.unsched, id)
      else
        redis.call('ZREM', K.due, id)
        redis.call('SADD', K.unsched, id)
      end
    end
    changed = true
  end
end
if changed then notify() end
return reply(res)
