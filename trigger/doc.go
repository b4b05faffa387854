// Package trigger decides when jobs fire. It implements every trigger of
// APScheduler with its semantics, exactly, plus crontab strings in the
// Linux (Vixie) and Quartz dialects:
//
//	{"type": "cron", "day_of_week": "mon-fri", "hour": "9", "minute": "30", "timezone": "Asia/Shanghai"}
//	{"type": "crontab", "expr": "*/5 9-17 * * mon-fri", "timezone": "UTC"}
//	{"type": "crontab", "expr": "0 15 10 ? * 6L", "dialect": "quartz"}
//	{"type": "interval", "minutes": 5, "start_date": "2024-01-01T00:00:00+08:00", "jitter": 10}
//	{"type": "date", "run_date": "2024-06-01T12:00:00+08:00"}
//	{"type": "calendarinterval", "months": 1, "hour": 9, "start_date": "2024-01-31"}
//	{"type": "or", "triggers": [{...}, {...}]}
//
// # Pure values
//
// A Trigger is an immutable value. It never reads the clock and starts no
// goroutine: First answers the first fire time of a trigger that has never
// fired, asked at a given moment, and Next the fire time after a previous
// one, or "none" when the trigger is finished. Jitter is not applied by the
// trigger; a scheduler calls ApplyJitter with a random source it owns.
//
// # Parsing and validation
//
// Parse reads the JSON shape above, the same everywhere in Sundial (Go API,
// REST API, config file, database). ParseFlat reads the flat form of a
// Flask-APScheduler job ("trigger": "cron", "hour": "9"). A definition that
// cannot be built is rejected with a *FieldError that names the key to blame
// (a path such as "triggers[1].hour" inside and/or), the offending token and
// what is allowed:
//
//	hour: "25" is out of range 0-23
//
// A trigger that can never fire (a cron for 30 February, an "and" of
// minute 15 and minute 45) answers "no fire" at once; nothing searches
// forever.
//
// # Numbering
//
// Mind the weekday numbers: in "cron" day_of_week 0 is Monday (APScheduler),
// in standard crontab strings 0 and 7 are Sunday (Linux cron), in the quartz
// dialect 1 is Sunday (Quartz). Names (mon, tue, …) mean the same everywhere.
//
// # Daylight saving time
//
// Cron-like triggers match wall-clock times in their zone. A matching wall
// time that does not exist (the clocks jump over it) fires once, shifted
// forward by the gap: 02:30 on the Berlin spring-forward night fires at
// 03:30+02:00. A matching wall time that occurs twice (the clocks go back)
// fires at both instants. Every existing matching wall time fires; no day is
// skipped around a transition (APScheduler can skip one). A calendar interval
// fires a repeated time of day once, at its first occurrence, and a gap time
// once, shifted forward. Intervals are exact durations: a day is 86 400
// seconds whatever the calendar says.
//
// # Conformance
//
// The behaviour is pinned down by the vectors in testdata/conformance,
// generated from APScheduler, Quartz and croniter and cross-checked against a
// brute-force model; every one of them passes.
package trigger
