// Package chaos proves Sundial's cluster mode under faults: several real
// "sundial serve" processes share one PostgreSQL, MariaDB or Redis store,
// each through its own fault proxy (internal/faultproxy), while the tests
// kill, stop and skew nodes, restart and blackhole the store, and a
// recording sink inside the test process receives every fire of the jobs
// (sundial:http jobs created over the native API).
//
// The package holds the harness; the scenarios are its tests
// (scenarios_*_test.go), described in /work/shared/RELIABILITY.md §4.2:
//
//   - steady state: no duplicate, no miss, lateness p99 < 500 ms, no node
//     above 60% of the fires;
//   - kill -9 of the busiest node: no duplicate, its fires taken over
//     within lease + poll + 1 s;
//   - SIGSTOP of a node for three leases: it runs nothing it lost;
//   - every node down, then back: catch-up exactly as coalesce and
//     misfire_grace_time say, checked in the run records;
//   - store restart and store blackhole: nodes stay alive and answer
//     /healthz, /readyz recovers, no job is lost, fires resume;
//   - one node's clock 30 s off (SUNDIAL_TEST_CLOCK_OFFSET): no duplicate,
//     nothing early, no steal;
//   - max_instances 1 with a job longer than its interval: no overlap;
//   - SIGTERM to a node holding unstarted claims: it exits in time, and
//     the others run what it had not started at once;
//   - a scale measurement (long form only): fires per second 1, 2 and 3
//     nodes sustain on PostgreSQL.
//
// # What is checked
//
// The checker (checks.go) reads the sink's deliveries, not the store, for
// what happened: per (job, fire time) more than one run id or delivery is a
// duplicate; an expected fire time (computed from the trigger over the
// window) that nothing delivered is a miss, allowed only where the job's
// misfire rules say so (folded by coalesce, recorded missed past its grace
// time, or interrupted with a lost node); lateness is arrival minus fire
// time; runs of a max_instances 1 job must not overlap at the sink. The run
// records (GET /api/v1/runs) say which node ran what and how catch-up was
// decided, and are checked against the rules too.
//
// # Running
//
// go test ./internal/chaos/ runs the short form: each scenario once, on
// one backend, rotating across PostgreSQL, MariaDB and Redis, in about four
// minutes on two cores. SUNDIAL_CHAOS=long runs every scenario on every
// backend at the sizes of the test plan, plus a scale measurement
// (scripts/chaos). The servers come from scripts/services.sh (see
// internal/testenv); a missing one skips, or fails under CI=true. The
// scenarios skip under -short and under -race: they measure timing and
// restart the shared store servers, so they run with -p 1, on their own.
//
// Other settings:
//
//	SUNDIAL_CHAOS_BACKENDS=LIST    run every scenario on these backends (postgres,mysql,redis)
//	SUNDIAL_CHAOS_BIN=PATH         test this sundial binary instead of building ./cmd/sundial
//	SUNDIAL_CHAOS_KNOWN_GAPS=1     run the scenarios (and fail the checks) that known scheduler
//	                               gaps break; by default those scenarios skip and those checks
//	                               only note what they found (the long form always runs them)
//	SUNDIAL_CHAOS_REPORT=FILE      append every scenario's report to FILE
//	SUNDIAL_CHAOS_ARTIFACTS=DIR    keep node logs there (else in the test's temp dir)
package chaos
