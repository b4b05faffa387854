package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

const catchUpUsage = `Usage:

	sundial catchup --json TRIGGER --next-run-time T --now T [--coalesce] [--grace SECONDS]
	sundial catchup --batch

Answers "what happens if my scheduler is down from X to Y": which due fire
times of a job run, which are missed, and its next fire time, by the same
rule the scheduler applies at each wake-up (APScheduler's catch-up rule).

With --batch it reads JSON lines from standard input,

	{"id": ..., "trigger": {...}, "job": {"coalesce": bool, "misfire_grace_time": seconds|null},
	 "next_run_time": RFC3339, "now": RFC3339}

and writes one JSON line per request, in order:

	{"id": ..., "run": [RFC3339, ...], "missed": [...], "next_run_time": RFC3339|null}

or {"id": ..., "error": "...", "field": "..."} for a request that cannot be
answered. Times are written in the trigger's time zone.
`

func runCatchUp(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("catchup")
	batch := fs.Bool("batch", false, "answer JSON-lines requests from standard input")
	def := fs.String("json", "", "the trigger as JSON")
	nextRun := fs.String("next-run-time", "", "the job's stored next fire time (RFC 3339)")
	nowText := fs.String("now", "", "the moment the scheduler wakes up (RFC 3339)")
	coalesce := fs.Bool("coalesce", true, "fold a backlog into one run")
	grace := fs.Float64("grace", -1, "misfire grace time in seconds; negative for no limit")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, catchUpUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *batch {
		return runBatch(ctx, stdin, stdout, answerCatchUp)
	}
	if *def == "" || *nextRun == "" || *nowText == "" {
		return usagef("--json, --next-run-time and --now are required (or --batch)")
	}
	var g *float64
	if *grace >= 0 {
		g = grace
	}
	res := catchUp(json.RawMessage(*def), *coalesce, g, *nextRun, *nowText)
	if e, ok := res.(catchUpError); ok {
		return fmt.Errorf("%s", e.Error)
	}
	r := res.(catchUpAnswer)
	fmt.Fprintf(stdout, "run:    %s\nmissed: %s\nnext:   %s\n", list(r.Run), list(r.Missed), orNone(r.NextRunTime))
	return nil
}

func list(ts []string) string {
	if len(ts) == 0 {
		return "(none)"
	}
	return strings.Join(ts, ", ")
}

func orNone(s *string) string {
	if s == nil {
		return "(none: the job is finished and removed)"
	}
	return *s
}

type catchUpRequest struct {
	ID      json.RawMessage `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Job     struct {
		Coalesce         bool     `json:"coalesce"`
		MisfireGraceTime *float64 `json:"misfire_grace_time"`
	} `json:"job"`
	NextRunTime string `json:"next_run_time"`
	Now         string `json:"now"`
}

type catchUpAnswer struct {
	ID          json.RawMessage `json:"id"`
	Run         []string        `json:"run"`
	Missed      []string        `json:"missed"`
	NextRunTime *string         `json:"next_run_time"`
}

type catchUpError = batchError

func answerCatchUp(line []byte) any {
	var req catchUpRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return newBatchError(req.ID, "line", fmt.Errorf("not a catch-up request: %w", err))
	}
	res := catchUp(req.Trigger, req.Job.Coalesce, req.Job.MisfireGraceTime, req.NextRunTime, req.Now)
	switch r := res.(type) {
	case catchUpAnswer:
		r.ID = orNull(req.ID)
		return r
	case catchUpError:
		r.ID = orNull(req.ID)
		return r
	}
	return res
}

// catchUp answers one question with sundial.ComputeCatchUp, the function
// the scheduler itself uses.
func catchUp(def json.RawMessage, coalesce bool, graceSeconds *float64, nextRunText, nowText string) any {
	if len(def) == 0 || string(def) == "null" {
		return newBatchError(nil, "trigger", errors.New("trigger: missing"))
	}
	trig, err := trigger.ParseIn(def, time.UTC)
	if err != nil {
		return newBatchError(nil, triggerField(err), err)
	}
	nextRun, err := time.Parse(time.RFC3339Nano, nextRunText)
	if err != nil {
		return newBatchError(nil, "next_run_time", fmt.Errorf("next_run_time: %w", err))
	}
	now, err := time.Parse(time.RFC3339Nano, nowText)
	if err != nil {
		return newBatchError(nil, "now", fmt.Errorf("now: %w", err))
	}
	var grace *time.Duration
	if graceSeconds != nil {
		if *graceSeconds < 0 {
			return newBatchError(nil, "job.misfire_grace_time", errors.New("job.misfire_grace_time: must not be negative"))
		}
		g := time.Duration(*graceSeconds * float64(time.Second))
		grace = &g
	}
	c := sundial.ComputeCatchUp(trig, coalesce, grace, nextRun, now)
	loc := trig.Location()
	format := func(ts []time.Time) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = trigger.FormatTime(t.In(loc))
		}
		return out
	}
	ans := catchUpAnswer{Run: format(c.Run), Missed: format(c.Missed)}
	if c.HasNext {
		s := trigger.FormatTime(c.Next.In(loc))
		ans.NextRunTime = &s
	}
	return ans
}
