package console_test

import (
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

func mustTrigger(def string) trigger.Trigger { return trigger.MustParse(def) }

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// between returns the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

func sundialJobs() sundial.JobListParams { return sundial.JobListParams{} }

func runsOf(job string) sundial.RunListParams { return sundial.RunListParams{JobID: job} }
