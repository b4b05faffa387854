-- 0001_init: the first key layout (SCHEMA.md). Keys are created as they
-- are first written; this starts the counters.
redis.call('SETNX', P .. 'seq', 0)
redis.call('SETNX', P .. 'changes', 0)
