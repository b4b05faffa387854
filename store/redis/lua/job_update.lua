-- job_update: ARGV[3] job id, ARGV[4] the version the update is based on,
-- ARGV[5...] field pairs. Reply: ["ok", version] | ["notfound"] | ["stale"].
local prev = replay()
if prev then return prev end
local id = ARGV[3]
local key = job_key(id)
if redis.call('EXISTS', key) == 0 then return reply({ 'notfound' }) end
local cur = tonumber(redis.call('HGET', key, 'version')) or 1
if cur ~= tonumber(ARGV[4]) then return reply({ 'stale' }) end
redis.call('DEL', key)
redis.call('HSET', key, 'version', istr(cur + 1), unpack(ARGV, 5))
redis.call('SADD', K.jobs, id)
redis.call('SREM', K.broken, id)
reindex(id)
notify()
return reply({ 'ok', istr(cur + 1) })
