-- node_leave: ARGV[3] node id. Ends its lease and forgets it.
redis.call('ZREM', K.nodes, ARGV[3])
redis.call('DEL', node_key(ARGV[3]))
return 1
