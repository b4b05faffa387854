-- job_park: ARGV[3] job id, ARGV[4] the version read. Takes a job whose
-- stored fields do not decode out of the due indexes (into broken), so it
-- cannot block claims of others; any later write of the job re-indexes it.
-- Reply: 1 when parked, 0 when the job changed meanwhile.
local id = ARGV[3]
local key = job_key(id)
if redis.call('EXISTS', key) == 0 then return 0 end
local v = redis.call('HGET', key, 'version')
if (v or '') ~= ARGV[4] then return 0 end
redis.call('ZREM', K.due, id)
redis.call('SREM', K.unsched, id)
redis.call('SADD', K.broken, id)
return 1
