-- claim_reread: ARGV[3] the scheduler's now (Unix µs), ARGV[4...] job ids.
-- Reads those of the jobs that are still due, as claim_read does.
local out = { 'ok' }
local now = tonumber(ARGV[3])
for i = 4, #ARGV do
  local id = ARGV[i]
  local due = redis.call('SISMEMBER', K.unsched, id) == 1
  if not due then
    local s = redis.call('ZSCORE', K.due, id)
    due = s and tonumber(s) <= now or false
  end
  if due then
    local h = redis.call('HGETALL', job_key(id))
    if #h > 0 then
      out[#out + 1] = id
      out[#out + 1] = redis.call('SCARD', jobactive_key(id))
      out[#out + 1] = h
    end
  end
end
return out
