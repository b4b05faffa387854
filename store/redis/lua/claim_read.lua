-- claim_read: ARGV[3] node, ARGV[4] the scheduler's now (Unix µs), ARGV[5]
-- how many jobs, ARGV[6] how many of the earliest due jobs to pass over.
-- Reads the due jobs, those waiting for a first fire time first, then by
-- next fire time. Reply: {"ok", id, active, {field, value,
-- ...}, ...} | {"leaselost"} | {"noschema"}.
if redis.call('EXISTS', K.schema) == 0 then return { 'noschema' } end
if not live(ARGV[3], now_us()) then return { 'leaselost' } end
local count = tonumber(ARGV[5])
local ids = redis.call('SRANDMEMBER', K.unsched, count)
if #ids < count then
  local more = redis.call('ZRANGEBYSCORE', K.due, '-inf', ARGV[4], 'LIMIT', tonumber(ARGV[6]), count - #ids)
  for _, id in ipairs(more) do ids[#ids + 1] = id end
end
local out = { 'ok' }
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', job_key(id))
  if #h == 0 then
    -- An index entry without its job (deleted by another program).
    redis.call('ZREM', K.due, id)
    redis.call('SREM', K.unsched, id)
  else
    out[#out + 1] = id
    out[#out + 1] = redis.call('SCARD', jobactive_key(id))
    out[#out + 1] = h
  end
end
return out
