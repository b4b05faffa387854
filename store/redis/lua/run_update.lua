-- run_update: ARGV[3] number of runs, then per run: id, node, '1' if the
-- new status is final, finished_at ('' to date the run by its stored
-- created_at in the finished index), number of field pairs, pairs.
-- Each run is applied on its own, only while the stored run is unfinished
-- and belongs to node, whose lease must be live by the store's clock. An
-- update that is refused but finds the run of node already in the state it
-- asks for is a repeat (a retry after a lost reply) and succeeds, so this
-- script needs no idempotency token. A start record (new status running)
-- is applied only while the run is submitted or running with the same
-- started_at (a repeat); a start of a run that another start began is
-- "lease", whatever the lease: it must not run.
-- Reply: ["ok", status...] with status "ok", "notfound", "expired" (the run
-- is still node's and unfinished: refused for its lease alone) or "lease".

-- already reports whether the run at key holds every field pair given.
local function already(key, fields)
  local names = {}
  for i = 1, #fields, 2 do names[#names + 1] = fields[i] end
  local cur = redis.call('HMGET', key, unpack(names))
  for i, v in ipairs(cur) do
    if (v or '') ~= fields[2 * i] then return false end
  end
  return true
end

-- given returns the value the field pairs give name, or nil.
local function given(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local now = now_us()
local lives = {}
local res = { 'ok' }
argi = 4
for _ = 1, tonumber(ARGV[3]) do
  local id, node, done, score = nextarg(), nextarg(), nextarg() == '1', nextarg()
  local fields = {}
  for i = 1, 2 * tonumber(nextarg()) do fields[i] = nextarg() end
  local key = run_key(id)
  local f = redis.call('HMGET', key, 'status', 'node', 'job_id', 'seq', 'created_at', 'started_at')
  if lives[node] == nil then lives[node] = live(node, now) end
  -- A start of a running run at another time: another start came first.
  local fenced = f[1] == 'running' and given(fields, 'status') == 'running'
    and (f[6] or '') ~= (given(fields, 'started_at') or '')
  if not f[1] and redis.call('EXISTS', key) == 0 then
    res[#res + 1] = 'notfound'
  elseif not unfinished(f[1]) or f[2] ~= node or not lives[node] or fenced then
    if f[2] == node and already(key, fields) then
      res[#res + 1] = 'ok'
    elseif f[2] == node and unfinished(f[1]) and not fenced then
      res[#res + 1] = 'expired' -- refused for the lease alone
    else
      res[#res + 1] = 'lease'
    end
  else
    redis.call('HSET', key, unpack(fields))
    if done then
      if score == '' then score = f[5] and f[5] ~= '' and f[5] or '-inf' end
      finish_index(id, f[3], node, f[4], score)
    end
    res[#res + 1] = 'ok'
  end
end
return reply(res)
