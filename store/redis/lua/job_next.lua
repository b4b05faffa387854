-- job_next: no arguments. Reply: {"unsched"} when a job waits for its first
-- fire time, {"due", next_run_time} for the earliest due job, {"none"}.
if redis.call('SCARD', K.unsched) > 0 then return { 'unsched' } end
local first = redis.call('ZRANGE', K.due, 0, 0, 'WITHSCORES')
if #first == 0 then return { 'none' } end
local nxt = redis.call('HGET', job_key(first[1]), 'next_run_time')
if not nxt or not tonumber(nxt) then nxt = first[2] end
return { 'due', nxt }
