-- job_add: ARGV[3] job id, ARGV[4] '1' to replace, ARGV[5...] field pairs.
-- Reply: ["ok", version] | ["conflict"] | ["noschema"].
local prev = replay()
if prev then return prev end
if redis.call('EXISTS', K.schema) == 0 then return reply({ 'noschema' }) end
local id = ARGV[3]
local key = job_key(id)
local version = 1
if redis.call('EXISTS', key) == 1 then
  if ARGV[4] ~= '1' then return reply({ 'conflict' }) end
  version = (tonumber(redis.call('HGET', key, 'version')) or 1) + 1
  redis.call('DEL', key)
end
redis.call('HSET', key, 'version', istr(version), unpack(ARGV, 5))
redis.call('SADD', K.jobs, id)
redis.call('SREM', K.broken, id)
reindex(id)
notify()
return reply({ 'ok', istr(version) })
