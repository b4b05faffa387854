-- node_list: ARGV[3] forget (µs; 0 keeps every node). Deletes the nodes
-- whose lease expired more than forget ago by the store's clock, then
-- returns every node's fields: {{field, value, ...}, ...}.
local forget = tonumber(ARGV[3])
if forget > 0 then
  local old = redis.call('ZRANGEBYSCORE', K.nodes, '-inf', '(' .. istr(now_us() - forget))
  for _, id in ipairs(old) do
    redis.call('ZREM', K.nodes, id)
    redis.call('DEL', node_key(id))
  end
end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', K.nodes, 0, -1)) do
  local h = redis.call('HGETALL', node_key(id))
  if #h > 0 then out[#out + 1] = h end
end
return out
