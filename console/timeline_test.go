package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

func TestBuildTimeline(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 3, 9, 7, 30, 0, time.UTC)
	job := func(id, def string) *sundial.Job {
		tr := trigger.Anchor(trigger.MustParse(def), now)
		next, _ := tr.First(now)
		return &sundial.Job{ID: id, Name: id, Trigger: tr, NextRunTime: next}
	}
	paused := job("paused", `{"type": "cron", "minute": "*"}`)
	paused.Paused, paused.NextRunTime = true, time.Time{}
	jobs := []*sundial.Job{
		job("every-second", `{"type": "interval", "seconds": 1}`),
		job("quarter", `{"type": "cron", "minute": "*/15"}`),
		job("tomorrow", `{"type": "cron", "hour": "3"}`),
		paused,
	}
	tl := buildTimeline(jobs, now, time.Hour, time.UTC)
	if len(tl.Rows) != 2 {
		t.Fatalf("rows %+v; want every-second and quarter", tl.Rows)
	}
	if r := tl.Rows[0]; r.JobID != "every-second" || len(r.Marks) != tlMaxMarks || !r.More {
		t.Errorf("every-second: %d marks, more %v; want %d and more", len(r.Marks), r.More, tlMaxMarks)
	}
	if r := tl.Rows[1]; r.JobID != "quarter" || len(r.Marks) != 4 || r.More {
		t.Errorf("quarter: %d marks; want 4 (09:15, 09:30, 09:45, 10:00)", len(r.Marks))
	}
	for _, r := range tl.Rows {
		for _, m := range r.Marks {
			if m.X < tlLabel || m.X > tlWidth-tlRight {
				t.Errorf("%s: mark at x=%v outside the axis", r.JobID, m.X)
			}
		}
	}
	if len(tl.Ticks) != 6 || tl.Ticks[0].Label != "09:10" || tl.Ticks[5].Label != "10:00" {
		t.Errorf("ticks %+v; want 09:10 to 10:00", tl.Ticks)
	}
}

// Many jobs: at most tlMaxRows are drawn, the rest are counted.
func TestBuildTimelineCapsRows(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	var jobs []*sundial.Job
	for i := range 500 {
		tr := trigger.MustParse(`{"type": "cron", "minute": "*/5"}`)
		next, _ := tr.First(now)
		jobs = append(jobs, &sundial.Job{ID: fmt.Sprint(i), Trigger: tr, NextRunTime: next})
	}
	tl := buildTimeline(jobs, now, time.Hour, time.UTC)
	if len(tl.Rows) != tlMaxRows || tl.MoreJobs != 500-tlMaxRows {
		t.Errorf("%d rows and %d more; want %d and %d", len(tl.Rows), tl.MoreJobs, tlMaxRows, 500-tlMaxRows)
	}
}

func TestBuildTimelineNepal(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Kathmandu") // +05:45
	if err != nil {
		t.Skip(err)
	}
	now := time.Date(2025, 3, 3, 9, 3, 0, 0, loc)
	tl := buildTimeline(nil, now, time.Hour, loc)
	if len(tl.Ticks) == 0 || tl.Ticks[0].Label != "09:10" {
		t.Errorf("ticks %+v; want whole ten minutes of Kathmandu's wall clock", tl.Ticks)
	}
}
