-- audit_prune: ARGV[3] Unix µs, ARGV[4] batch size. Deletes up to a batch
-- of the audit entries made before the time, oldest first, with their
-- index entries. Reply: number deleted.
local seqs = redis.call('ZRANGEBYSCORE', K.auditat, '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, seq in ipairs(seqs) do
  local key = audit_key(seq)
  local v = redis.call('HMGET', key, unpack(AUDIT_INDEXED))
  for i, field in ipairs(AUDIT_INDEXED) do
    if v[i] and v[i] ~= '' then redis.call('ZREM', auditby_key(field, v[i]), seq) end
  end
  redis.call('DEL', key)
  redis.call('ZREM', K.audit, seq)
  redis.call('ZREM', K.auditat, seq)
end
return #seqs
