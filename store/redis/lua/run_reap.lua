-- run_reap: ARGV[3] the reaping node, ARGV[4] the scheduler's now (Unix
-- µs, written as finished_at), ARGV[5] limit (0 for none), ARGV[6] the
-- staleness bound in µs (0 for none), ARGV[7] '1' when the reaping node
-- has just restarted (else '0'), ARGV[8] '1' when the bound covers the
-- reaping node's own runs too (else '0'). Ends the unfinished runs of nodes
-- without a live lease (and, restarted, the reaping node's own: an
-- earlier process's), oldest (lowest seq) first: submitted and
-- recoverable runs pass to the reaping node, the others become
-- interrupted. With a bound, runs that another live node has held
-- submitted for longer than it (P owned: a claim, or a reap, whose reply
-- that node never got) pass to the reaping node too, and with ARGV[8] so
-- do its own: they stay its own and submitted, their P owned score renewed.
-- Reply: ["ok", n taken, taken ids..., interrupted ids...] | ["leaselost"].
local prev = replay()
if prev then return prev end
local me, fin, limit, stale = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local restarted = ARGV[7] == '1'
local ownstale = ARGV[8] == '1'
local now = now_us()
if not live(me, now) then return reply({ 'leaselost' }) end
local lost, seen = {}, {}
for _, n in ipairs(redis.call('SMEMBERS', K.activenodes)) do
  if not live(n, now) or (restarted and n == me) then
    for _, id in ipairs(redis.call('SMEMBERS', nodeactive_key(n))) do
      local f = redis.call('HMGET', run_key(id), 'seq', 'status', 'recoverable', 'job_id', 'created_at')
      if f[1] and unfinished(f[2]) then
        lost[#lost + 1] = { id = id, node = n, seq = tonumber(f[1]), status = f[2], rec = f[3], job = f[4], created = f[5] }
        seen[id] = true
      else
        redis.call('SREM', nodeactive_key(n), id) -- gone or finished: a stale entry
      end
    end
    if redis.call('SCARD', nodeactive_key(n)) == 0 then redis.call('SREM', K.activenodes, n) end
  end
end
if stale > 0 then
  -- Unfinished runs that changed hands before now - stale: the submitted
  -- ones of other live nodes (and, ownstale, the reaping node's) are
  -- taken (running ones stay listed).
  for _, id in ipairs(redis.call('ZRANGE', K.owned, '-inf', '(' .. istr(now - stale), 'BYSCORE')) do
    local f = redis.call('HMGET', run_key(id), 'seq', 'status', 'node', 'job_id', 'created_at')
    if not (f[1] and unfinished(f[2])) then
      redis.call('ZREM', K.owned, id) -- gone or finished: a stale entry
    elseif f[2] == 'submitted' and (f[3] ~= me or ownstale) and not seen[id] then
      lost[#lost + 1] = { id = id, node = f[3], seq = tonumber(f[1]), status = f[2], rec = '0', job = f[4], created = f[5] }
    end
  end
end
table.sort(lost, function(a, b) return a.seq < b.seq end)
local taken, interrupted = {}, {}
for i, r in ipairs(lost) do
  if limit > 0 and i > limit then break end
  local key = run_key(r.id)
  if r.status == 'submitted' or truthy(r.rec) then
    redis.call('HSET', key, 'node', me, 'status', 'submitted', 'recoverable', '0', 'started_at', '')
    unlist_active(r.id, r.job, r.node)
    redis.call('SADD', jobactive_key(r.job), r.id)
    redis.call('SADD', nodeactive_key(me), r.id)
    redis.call('SADD', K.activenodes, me)
    redis.call('ZADD', K.owned, now, r.id)
    taken[#taken + 1] = r.id
  else
    local why = ' lost its lease'
    if restarted and r.node == me then why = ' restarted' end
    redis.call('HSET', key, 'status', 'interrupted', 'finished_at', fin,
      'reason', 'node ' .. r.node .. why .. ' while the run was ' .. r.status)
    local score = fin
    if score == '' then score = r.created and r.created ~= '' and r.created or '-inf' end
    finish_index(r.id, r.job, r.node, istr(r.seq), score)
    interrupted[#interrupted + 1] = r.id
  end
end
local res = { 'ok', istr(#taken) }
for _, id in ipairs(taken) do res[#res + 1] = id end
for _, id in ipairs(interrupted) do res[#res + 1] = id end
return reply(res)
