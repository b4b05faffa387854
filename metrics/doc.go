// Package metrics exports the Prometheus metrics of Sundial schedulers:
// what their runs did, how late and how long they were, how their stores
// perform, and how many jobs they hold. The server (`sundial serve`)
// serves them at /metrics; a program that embeds the library registers
// them on its own registry.
//
// # Wiring
//
// New registers every collector on the given prometheus.Registerer (there
// are no package-level collectors). WrapStore times a store before it is
// handed to the scheduler; Attach then subscribes to the scheduler's events
// and adds it to the gauges read at scrape time:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	…
//	s, err := sundial.New(sundial.Config{Store: m.WrapStore("default", st)})
//	…
//	detach := m.Attach(s)
//	defer detach()
//
// # Metrics
//
// All names are in the sundial namespace. Labels are bounded: task names,
// statuses, store names and operations, never job or run ids. An event
// with no task (a run of a lost node whose job could not be read) has the
// task "unknown".
//
//   - sundial_fires_total{task} (counter): fires handled, each counted once,
//     when its first attempt is recorded as submitted, missed or skipped.
//     Manual runs ("run now") and retries are not fires.
//   - sundial_runs_total{task,status} (counter): runs, every attempt, that
//     reached a final status: succeeded, failed, timeout, missed, skipped
//     or interrupted.
//   - sundial_run_lateness_seconds (histogram, 1 ms to 60 s): start time
//     minus fire time of first attempts that started. Retries are left out:
//     they start late by their backoff, by design.
//   - sundial_run_duration_seconds{task} (histogram, 10 ms to 1 h): finish
//     minus start of runs that started.
//   - sundial_runs_in_flight (gauge): runs submitted on this node and not
//     finished yet.
//   - sundial_store_operation_duration_seconds{store,op} (histogram,
//     0.1 ms to 10 s) and
//     sundial_store_errors_total{store,op} (counter): every store call made
//     through WrapStore, op being the method name such as "JobClaimDue".
//     Answers such as job not found are not errors.
//   - sundial_jobs{state} (gauge): jobs "scheduled" (not paused) and
//     "paused", listed at scrape time within 2 s. When listing fails the
//     gauge is left out of that scrape and sundial_scrape_errors_total
//     (counter) grows.
//   - sundial_scheduler_state{state} (gauge): attached schedulers in each
//     state (stopped, running, paused, shutdown); for one scheduler, 1 for
//     its current state and 0 for the others.
//
// Run metrics come from events, which the scheduler emits on one goroutine
// of its own: attaching never slows the dispatch loop, and the counters
// trail it by the length of the event queue. With several nodes sharing a
// store, each counts what it did itself; sum them across nodes, except
// sundial_jobs, which every node reports for the whole store.
package metrics
