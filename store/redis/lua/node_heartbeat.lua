-- node_heartbeat: ARGV[3] node id, ARGV[4] lease length in µs, ARGV[5...]
-- field pairs (host, pid, version, started_at). The lease runs from the
-- store's clock. Reply: {heartbeat_at, lease_until} in Unix µs.
local id = ARGV[3]
local now = now_us()
local lease = now + tonumber(ARGV[4])
redis.call('HSET', node_key(id), 'id', id, 'heartbeat_at', istr(now), 'lease_until', istr(lease), unpack(ARGV, 5))
redis.call('ZADD', K.nodes, istr(lease), id)
return { istr(now), istr(lease) }
