-- run_insert: ARGV[3] max unfinished runs of the job (0 for no limit),
-- ARGV[4...] the run (see read_run).
-- Reply: ["ok", seq] | ["dup"] | ["max", unfinished].
local prev = replay()
if prev then return prev end
argi = 4
local r = read_run()
if redis.call('EXISTS', run_key(r.id)) == 1 then return reply({ 'dup' }) end
local max = tonumber(ARGV[3])
if max > 0 then
  local n = redis.call('SCARD', jobactive_key(r.job))
  if n >= max then return reply({ 'max', istr(n) }) end
end
if not claim_fire(r) then return reply({ 'dup' }) end
return reply({ 'ok', istr(record_run(r)) })
