-- 0002_owned: P owned, the unfinished runs by when they last changed
-- hands (Redis TIME, µs), which lets a reap take over the runs that a live
-- node has left submitted for too long (SCHEMA.md). The unfinished runs
-- recorded before this migration are listed with its time.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
for _, n in ipairs(redis.call('SMEMBERS', P .. 'activenodes')) do
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'nodeactive:' .. n)) do
    local status = redis.call('HGET', P .. 'run:' .. id, 'status')
    if status == 'submitted' or status == 'running' then
      redis.call('ZADD', P .. 'owned', 'NX', now, id)
    end
  end
end
