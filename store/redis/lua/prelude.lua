-- prelude.lua: shared by every Sundial script (prepended by the Go code).
-- ARGV[1] is the key prefix, ARGV[2] an idempotency token ('' for none);
-- a script's own arguments start at ARGV[3]. Keys are computed here from
-- the prefix, so the scripts need a single Redis (or, in a cluster, a
-- prefix with a hash tag such as "{sundial}:").
local P = ARGV[1]
local TOKEN = ARGV[2]
local K = {
  schema = P .. 'schema',
  jobs = P .. 'jobs',
  due = P .. 'due',
  unsched = P .. 'unsched',
  broken = P .. 'broken',
  changes = P .. 'changes',
  seq = P .. 'seq',
  runs = P .. 'runs',
  finished = P .. 'finished',
  runjobs = P .. 'runjobs',
  nodes = P .. 'nodes',
  activenodes = P .. 'activenodes',
  owned = P .. 'owned',
  audit = P .. 'audit',
  auditat = P .. 'auditat',
  auditseq = P .. 'auditseq',
}
local function job_key(id) return P .. 'job:' .. id end
local function jobruns_key(id) return P .. 'jobruns:' .. id end
local function jobdone_key(id) return P .. 'jobdone:' .. id end
local function jobactive_key(id) return P .. 'jobactive:' .. id end
local function jobfires_key(id) return P .. 'jobfires:' .. id end
local function run_key(id) return P .. 'run:' .. id end
local function node_key(id) return P .. 'node:' .. id end
local function nodeactive_key(id) return P .. 'nodeactive:' .. id end
local function audit_key(seq) return P .. 'audit:' .. seq end

-- AUDIT_INDEXED are the audit entry fields with an index of their own:
-- P audit<field>:<value>, a sorted set of the entries' seqs (empty values
-- are not indexed: an empty filter filters nothing).
local AUDIT_INDEXED = { 'target', 'actor', 'action' }
local function auditby_key(field, value) return P .. 'audit' .. field .. ':' .. value end

-- istr formats an integral number without exponent or rounding.
local function istr(n) return string.format('%d', n) end

-- now_us is the store's clock: Redis TIME in Unix microseconds.
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- live reports whether node holds a lease at now (microseconds).
local function live(node, now)
  local s = redis.call('ZSCORE', K.nodes, node)
  return s and tonumber(s) > now or false
end

local TRUE = { ['1'] = true, t = true, T = true, ['true'] = true, TRUE = true, True = true }
local function truthy(v) return v and TRUE[v] or false end

local function unfinished(status) return status == 'submitted' or status == 'running' end

-- replay returns the reply already given under this call's token, if the
-- call is a retry of one that ran.
local function replay()
  if TOKEN == '' then return nil end
  return redis.call('GET', P .. 'req:' .. TOKEN) or nil
end

-- reply encodes a flat list of strings as JSON, remembers it under the
-- token for a minute (so a retry after a lost reply is answered, not
-- applied twice) and returns it.
local function reply(res)
  local s = cjson.encode(res)
  if TOKEN ~= '' then redis.call('SET', P .. 'req:' .. TOKEN, s, 'PX', 60000) end
  return s
end

-- notify tells watchers that jobs changed: the change counter for pollers,
-- a message on the channel of the same name for subscribers.
local function notify()
  local n = redis.call('INCR', K.changes)
  redis.call('PUBLISH', K.changes, n)
end

-- reindex puts a job in the index its fields call for: due (by next fire
-- time), unsched (not paused, no next fire time yet) or neither (paused).
local function reindex(id)
  redis.call('ZREM', K.due, id)
  redis.call('SREM', K.unsched, id)
  local f = redis.call('HMGET', job_key(id), 'paused', 'next_run_time')
  if truthy(f[1]) then return end
  local nxt = f[2]
  if nxt and nxt ~= '' and tonumber(nxt) then
    redis.call('ZADD', K.due, nxt, id)
  else
    redis.call('SADD', K.unsched, id)
  end
end

-- drop_job deletes a job and its index entries; its runs stay.
local function drop_job(id)
  redis.call('DEL', job_key(id))
  redis.call('SREM', K.jobs, id)
  redis.call('ZREM', K.due, id)
  redis.call('SREM', K.unsched, id)
  redis.call('SREM', K.broken, id)
end

-- Arguments after the fixed ones are read in order with nextarg.
local argi = 3
local function nextarg()
  local v = ARGV[argi]
  argi = argi + 1
  return v
end

-- read_run reads a run as the Go code encodes it: id, job id, fire key,
-- finished ('1' or '0'), node, finished-index score, the number of field
-- pairs and the pairs.
local function read_run()
  local r = { id = nextarg(), job = nextarg(), fire = nextarg(), done = nextarg() == '1', node = nextarg(), score = nextarg() }
  local n = tonumber(nextarg())
  local f = {}
  for i = 1, 2 * n do f[i] = nextarg() end
  r.fields = f
  return r
end

-- claim_fire takes r's fire key for it and reports whether it could: false
-- when a run with r's id or fire key is already recorded.
local function claim_fire(r)
  if redis.call('EXISTS', run_key(r.id)) == 1 then return false end
  return redis.call('HSETNX', jobfires_key(r.job), r.fire, r.id) == 1
end

-- own_now is the time (Redis TIME, µs) this script hands runs to a node,
-- the score of P owned: read once per script.
local own_time
local function own_now()
  if not own_time then own_time = now_us() end
  return own_time
end

-- record_run stores a new run, whose fire key claim_fire took, with the
-- next sequence number and indexes it.
local nodes_listed = {}
local function record_run(r)
  local seq = redis.call('INCR', K.seq)
  redis.call('HSET', run_key(r.id), 'seq', seq, unpack(r.fields))
  redis.call('ZADD', K.runs, seq, r.id)
  redis.call('ZADD', jobruns_key(r.job), seq, r.id)
  redis.call('SADD', K.runjobs, r.job)
  if r.done then
    redis.call('ZADD', jobdone_key(r.job), seq, r.id)
    redis.call('ZADD', K.finished, r.score, r.id)
  else
    redis.call('SADD', jobactive_key(r.job), r.id)
    redis.call('SADD', nodeactive_key(r.node), r.id)
    redis.call('ZADD', K.owned, own_now(), r.id)
    if not nodes_listed[r.node] then
      redis.call('SADD', K.activenodes, r.node)
      nodes_listed[r.node] = true
    end
  end
  return seq
end

-- unlist_active removes a run from the unfinished indexes of its job and
-- node.
local function unlist_active(id, job, node)
  redis.call('ZREM', K.owned, id)
  redis.call('SREM', jobactive_key(job), id)
  redis.call('SREM', nodeactive_key(node), id)
  if redis.call('SCARD', nodeactive_key(node)) == 0 then
    redis.call('SREM', K.activenodes, node)
  end
end

-- finish_index moves a run that just finished from the unfinished indexes
-- to the finished ones.
local function finish_index(id, job, node, seq, score)
  unlist_active(id, job, node)
  redis.call('ZADD', jobdone_key(job), seq, id)
  redis.call('ZADD', K.finished, score, id)
end

-- delete_run deletes a finished run and its index entries.
local function delete_run(id)
  local key = run_key(id)
  local f = redis.call('HMGET', key, 'job_id', 'scheduled_at', 'attempt')
  redis.call('DEL', key)
  redis.call('ZREM', K.runs, id)
  redis.call('ZREM', K.finished, id)
  local job = f[1]
  if not job then return end
  redis.call('ZREM', jobruns_key(job), id)
  redis.call('ZREM', jobdone_key(job), id)
  local fire = (f[2] or '') .. '/' .. (f[3] or '')
  if redis.call('HGET', jobfires_key(job), fire) == id then
    redis.call('HDEL', jobfires_key(job), fire)
  end
  if redis.call('ZCARD', jobruns_key(job)) == 0 then
    redis.call('SREM', K.runjobs, job)
    redis.call('DEL', jobfires_key(job))
  end
end

