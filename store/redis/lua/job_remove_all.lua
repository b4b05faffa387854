-- job_remove_all: no arguments. Reply: ["ok", number of jobs removed].
local prev = replay()
if prev then return prev end
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', K.jobs)) do
  n = n + redis.call('DEL', job_key(id))
end
redis.call('DEL', K.jobs, K.due, K.unsched, K.broken)
notify()
return reply({ 'ok', istr(n) })
