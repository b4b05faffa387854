-- run_prune_age: ARGV[3] Unix µs, ARGV[4] batch size. Deletes up to a batch
-- of finished runs that finished before the time. Reply: number deleted.
local ids = redis.call('ZRANGEBYSCORE', K.finished, '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do delete_run(id) end
return #ids
