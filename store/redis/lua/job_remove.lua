-- job_remove: ARGV[3] job id. Reply: ["ok"] | ["notfound"].
local prev = replay()
if prev then return prev end
local id = ARGV[3]
if redis.call('EXISTS', job_key(id)) == 0 then
  -- An index entry without its hash (a half-done external write) goes too.
  redis.call('SREM', K.jobs, id)
  redis.call('ZREM', K.due, id)
  redis.call('SREM', K.unsched, id)
  redis.call('SREM', K.broken, id)
  return reply({ 'notfound' })
end
drop_job(id)
notify()
return reply({ 'ok' })
