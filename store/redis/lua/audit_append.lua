-- audit_append: ARGV[3] at (Unix µs), ARGV[4] actor, ARGV[5] role,
-- ARGV[6] remote, ARGV[7] action, ARGV[8] target, ARGV[9] detail ('' for
-- none). Records an entry under the next audit seq and indexes it.
-- Reply: ["ok", seq].
local prev = replay()
if prev then return prev end
local e = { at = ARGV[3], actor = ARGV[4], role = ARGV[5], remote = ARGV[6], action = ARGV[7], target = ARGV[8] }
local seq = istr(redis.call('INCR', K.auditseq))
local f = { 'seq', seq, 'at', e.at, 'actor', e.actor, 'role', e.role, 'remote', e.remote, 'action', e.action, 'target', e.target }
if ARGV[9] ~= '' then
  f[#f + 1] = 'detail'
  f[#f + 1] = ARGV[9]
end
redis.call('HSET', audit_key(seq), unpack(f))
redis.call('ZADD', K.audit, seq, seq)
redis.call('ZADD', K.auditat, e.at, seq)
for _, field in ipairs(AUDIT_INDEXED) do
  if e[field] ~= '' then redis.call('ZADD', auditby_key(field, e[field]), seq, seq) end
end
return reply({ 'ok', seq })
