// Package task provides Sundial's built-in tasks: sundial:exec, which runs
// a program, and sundial:http, which sends an HTTP request.
//
//	tasks := sundial.NewRegistry()
//	task.Register(tasks,
//		task.ExecConfig{Allow: []string{"/opt/jobs/*", "python3"}},
//		task.HTTPConfig{Allow: []string{"internal.example"}},
//	)
//
// Register adds both tasks, each with the validator of its arguments; Exec
// and HTTP return one handler and validator for a registry of one's own.
// Both tasks refuse what the operator has not allowed: sundial:exec runs
// nothing until ExecConfig.Allow lists programs, and sundial:http connects
// only to public addresses unless HTTPConfig allows more. A job's
// arguments are checked when it is added or changed, and again at every
// run, since the configuration may have changed in between. A refusal is
// a *sundial.JobError naming the field at fault ("args[0]", "kwargs.url",
// "kwargs.env.LD_PRELOAD"), so it matches sundial.ErrInvalidJob.
//
// # sundial:exec
//
// The command is given in exactly one of:
//
//   - args: a JSON array of strings, the program and its arguments:
//     ["python3", "report.py", "--day", "monday"].
//   - kwargs.command: the same array, or one string split into words at
//     white space, with single and double quotes grouping words
//     ("python3 report.py --day 'last monday'"). Nothing else in the
//     string is special: no variables, globs, escapes, pipes or
//     redirections.
//
// Other keyword arguments (any other key is refused):
//
//   - dir (string): the working directory; a relative one is relative to
//     ExecConfig.Workdir.
//   - env (object of strings): environment variables to set; each name must
//     be listed in ExecConfig.EnvAllow.
//   - timeout (number of seconds, > 0): stop the program after this long.
//     The job's own timeout and a scheduler shutdown stop it too, whichever
//     comes first.
//
// The program (the first word) must be allowed by ExecConfig.Allow: a bare
// name ("python3") must be listed as that bare name and is looked up in
// the server's PATH at run time; an absolute path must be clean (no "..",
// no "//") and match one of the listed absolute-path globs ("/opt/jobs/*";
// a "*" does not cross a "/"); a relative path ("./run.sh") is refused.
// The program is executed directly, never through a shell: arguments such
// as "$HOME", ";" or "&&" reach it as they are. A shell runs only if
// ExecConfig.Allow lists it ("sh"), like any other program.
//
// The program runs in a process group of its own, with an environment
// built from nothing rather than the server's (which holds its secrets):
// PATH, HOME, LANG, TZ and TMPDIR as the server has them, the job's env,
// and
//
//	SUNDIAL_RUN_ID        the run's id, unique per run: an idempotency key
//	SUNDIAL_JOB_ID        the job's id
//	SUNDIAL_SCHEDULED_AT  the fire time, RFC 3339 in UTC
//	SUNDIAL_ATTEMPT       1 for the first try, 2 for the first retry, …
//
// which a job cannot replace. Standard input is empty. Standard output and
// standard error are recorded together, in the order written, up to
// ExecConfig.MaxOutput bytes; the rest is counted and noted as
// "[N more bytes dropped]".
//
// Exit status 0 is success; anything else fails the run with "exit status
// N" or "killed by signal N (name)". When the run's context ends (a
// timeout, a shutdown), the whole process group gets SIGTERM and, after
// ExecConfig.KillGrace, SIGKILL; the error then wraps the context's error,
// so the scheduler records a timeout as a timeout. When the program exits
// leaving processes in its group, they are stopped the same way: a run
// leaves nothing running.
//
// # sundial:http
//
// It takes keyword arguments only (any other key is refused):
//
//   - url (string, required): an http or https URL.
//   - method (string): the method, sent as given; default GET.
//   - headers (object of strings): request headers. Idempotency-Key,
//     X-Sundial-*, Host and the hop-by-hop and framing headers are set by
//     the task or the client and cannot be given.
//   - body: a string is sent as it is; any other JSON value is sent as
//     JSON, with Content-Type application/json unless headers set one.
//   - timeout (number of seconds, > 0): bounds the request, redirects and
//     reading the response; default HTTPConfig.Timeout. The job's own
//     timeout applies too.
//   - expect (array of status codes): the statuses that mean success;
//     default any 2xx.
//
// Every request carries
//
//	Idempotency-Key         the run's id
//	X-Sundial-Job           the job's id
//	X-Sundial-Scheduled-At  the fire time, RFC 3339 in UTC
//	User-Agent              sundial (unless headers set one)
//
// The run's output is the status line ("HTTP 200 OK") and the first
// HTTPConfig.MaxResponse bytes of the body. A status not in expect fails
// the run, naming the status.
//
// Up to 10 redirects are followed, to http and https URLs only. No proxy is
// used, whatever the environment says: a proxy would connect on the
// task's behalf, past the guard below.
//
// # Destinations sundial:http refuses
//
// Unless HTTPConfig.AllowPrivate is set, sundial:http connects only to
// public unicast addresses. It refuses loopback, private (RFC 1918,
// fc00::/7), link-local (169.254.0.0/16 with the cloud metadata address
// 169.254.169.254, fe80::/10), unspecified, multicast, broadcast, shared
// (CGNAT, 100.64.0.0/10), 0.0.0.0/8, documentation, benchmarking and other
// reserved ranges, the IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms
// of refused IPv4 addresses, and host names written as a number in a
// legacy form ("2852039166", "0x7f.1"). HTTPConfig.Allow lets chosen
// networks ("10.1.0.0/16") or host names ("internal.example") through.
//
// The check runs in the dialer on each resolved address, after the socket
// is created and before it connects, so it covers host names, DNS
// rebinding and redirects alike, and a refused address is never sent a
// packet. The validator also refuses a URL whose host is a refused address
// or a localhost name, so such jobs fail when added rather than at every
// run.
//
// # Configuration
//
// The server reads the same structs. Their keys, and what an empty value
// means:
//
//	exec.allow          programs sundial:exec may run; empty: the task is disabled
//	exec.workdir        default working directory; empty: the server's
//	exec.env_allow      variables a job may set; empty: none
//	exec.max_output     bytes of output kept; 0: 64 KiB
//	exec.kill_grace     SIGTERM to SIGKILL; 0: 5s
//	http.allow_private  connect to any address; default false
//	http.allow          networks and host names allowed despite being private
//	http.max_response   bytes of response body kept; 0: 4 KiB
//	http.timeout        request timeout when the job gives none; 0: 30s
//
// ExecConfig.Validate and HTTPConfig.Validate report entries that can match
// nothing, for a server to refuse to start with them.
package task
