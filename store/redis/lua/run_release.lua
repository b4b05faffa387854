-- run_release: ARGV[3] the releasing node, then the ids of its runs to
-- give back. Each listed run that is still submitted and owned by that
-- node loses its owner (node '', no started_at) and moves to the index of
-- unowned runs (nodeactive of the empty node id, listed in activenodes),
-- where the next reap of any live node takes it over: no node id is
-- empty, so no lease covers it. Runs in another state, of another node or
-- unknown are left alone. The node's lease is not checked. Watchers are
-- woken (the change counter and its channel) when a run was released.
-- Reply: ["ok", released ids...].
local prev = replay()
if prev then return prev end
local me = ARGV[3]
local res = { 'ok' }
if me == '' then return reply(res) end
for i = 4, #ARGV do
  local id = ARGV[i]
  local key = run_key(id)
  local f = redis.call('HMGET', key, 'status', 'node')
  if f[1] == 'submitted' and f[2] == me then
    redis.call('HSET', key, 'node', '', 'started_at', '')
    redis.call('SREM', nodeactive_key(me), id)
    redis.call('SADD', nodeactive_key(''), id)
    redis.call('SADD', K.activenodes, '')
    redis.call('ZADD', K.owned, own_now(), id)
    res[#res + 1] = id
  end
end
if #res > 1 then
  if redis.call('SCARD', nodeactive_key(me)) == 0 then redis.call('SREM', K.activenodes, me) end
  notify()
end
return reply(res)
