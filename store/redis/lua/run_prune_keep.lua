-- run_prune_keep: ARGV[3] finished runs to keep per job, ARGV[4...] job
-- ids. Deletes each job's finished runs beyond the newest ARGV[3] (by seq).
-- Reply: number deleted.
local keep = tonumber(ARGV[3])
local n = 0
for i = 4, #ARGV do
  local job = ARGV[i]
  local excess = redis.call('ZCARD', jobdone_key(job)) - keep
  if excess > 0 then
    for _, id in ipairs(redis.call('ZRANGE', jobdone_key(job), 0, excess - 1)) do
      delete_run(id)
      n = n + 1
    end
  end
end
return n
