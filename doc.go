// Package sundial is a job scheduler with the semantics of Python's
// APScheduler: cron, interval, date, crontab, calendar-interval and combined
// triggers (package trigger), jobs kept in a store, worker pools, misfire
// and coalescing rules, and events — as a Go library with no globals.
//
// # Quick start
//
//	reg := sundial.NewRegistry()
//	reg.Register("reports:nightly", func(ctx context.Context, rc *sundial.RunContext) error {
//		return buildReport(ctx)
//	})
//	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{}), Tasks: reg})
//	...
//	s.Start(ctx)
//	s.AddJob(ctx, sundial.JobSpec{
//		ID:      "nightly",
//		Task:    "reports:nightly",
//		Trigger: trigger.MustParse(`{"type": "cron", "hour": "2", "timezone": "Europe/Berlin"}`),
//	})
//	...
//	s.Shutdown(ctx) // waits for running jobs until ctx expires, then cancels them
//
// # Jobs are data
//
// A Job holds a task name and JSON arguments, never a closure, so every
// store can persist it and a restarted process picks it up. Tasks are
// looked up by name in a Registry; RegisterFunc gives handlers typed
// arguments. A handler receives a context (cancelled at its timeout or when
// a shutdown stops waiting) and a RunContext with the run's id — use it as
// an idempotency key — its scheduled time and attempt. A handler can end its
// own job's schedule with RunContext.EndSchedule.
//
// # What happens when a job is due
//
// One dispatch goroutine sleeps on one timer until the earliest next fire
// time in the store (never longer than Config.MaxSleep without reading the
// clock again, so clock steps and suspends are noticed), woken early when a
// job changes. For each due job it applies APScheduler's catch-up rule
// (ComputeCatchUp; sundial catchup answers it from the command line):
//
//   - coalesce folds a backlog of due fires into one run;
//   - a fire later than misfire_grace_time is recorded as missed, not run;
//   - a fire beyond max_instances concurrent runs is recorded as skipped.
//
// The job's next fire time advances atomically with the claim
// (Store.JobClaimDue), so no fire is taken twice. Runs go to the job's
// executor, a named worker pool; a panic is a failed run with its stack, a
// timeout records "timeout", and failed runs can be retried with backoff.
// Every fire leaves a Run record — succeeded, failed, timeout, missed,
// skipped or interrupted, with the reason — so "did it run, and why not?"
// always has an answer.
//
// # Defaults
//
// DefaultJobOptions are shared by the library and the server: coalesce on,
// no misfire limit and one instance at a time. After an outage each job runs
// once, promptly, instead of being dropped silently (APScheduler 3 drops
// fires more than one second late by default).
//
// # Events
//
// AddListener subscribes to a mask of EventType. Listeners run on one event
// goroutine, in order; they cannot stall the dispatch loop, and a panicking
// listener is logged and kept.
//
// # Stores
//
// Store is declared here, next to the scheduler that consumes it; each
// backend is a package of its own (store/memory now) that passes the shared
// contract suite in store/storetest. Store methods take the scheduler's
// "now", read from the injected Clock, so tests control time; with the
// system clock it is shifted to the store's clock, measured at every
// heartbeat (see StoreClockMode), so nodes need not agree on the time.
package sundial
