package console

import (
	"net/http"
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// overviewPage is what the overview template shows.
type overviewPage struct {
	State     string
	Paused    bool // the scheduler is paused (admins may resume it)
	Running   bool
	Jobs      int
	Scheduled int
	PausedN   int
	Finished  int // neither paused nor with a next fire time
	Timeline  *timeline
	Failures  []*sundial.Run
	Nodes     []nodeView
}

type nodeView struct {
	*sundial.Node
	Live bool
	Self bool
}

// nodeForget is how long a node whose lease ended stays on the overview.
const nodeForget = 24 * time.Hour

func (c *Console) overview(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	state := c.s.State()
	p := overviewPage{State: state.String(), Paused: state == sundial.StatePaused, Running: state == sundial.StateRunning}
	jobs, err := c.s.ListJobs(ctx, sundial.JobListParams{})
	if err != nil {
		return err
	}
	p.Jobs = len(jobs)
	for _, j := range jobs {
		switch {
		case j.Paused:
			p.PausedN++
		case j.NextRunTime.IsZero():
			p.Finished++
		default:
			p.Scheduled++
		}
	}
	now := c.s.Now()
	p.Timeline = buildTimeline(jobs, now, time.Hour, c.s.Location())

	for _, st := range []sundial.RunStatus{sundial.RunFailed, sundial.RunTimedOut} {
		runs, err := c.s.ListRuns(ctx, sundial.RunListParams{Status: st, Limit: 10})
		if err != nil {
			return err
		}
		p.Failures = append(p.Failures, runs...)
	}
	slices.SortStableFunc(p.Failures, func(a, b *sundial.Run) int { return b.CreatedAt.Compare(a.CreatedAt) })
	p.Failures = p.Failures[:min(len(p.Failures), 10)]
	for _, run := range p.Failures {
		c.localizeRun(run)
	}

	nodes, err := c.s.ListNodes(ctx, nodeForget)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		nv := nodeView{Node: n, Live: n.Live(time.Now()), Self: n.ID == c.s.NodeID()}
		loc := c.s.Location()
		n.StartedAt, n.HeartbeatAt, n.LeaseUntil = n.StartedAt.In(loc), n.HeartbeatAt.In(loc), n.LeaseUntil.In(loc)
		p.Nodes = append(p.Nodes, nv)
	}
	c.render(w, r, v, http.StatusOK, "overview.html", "Overview", "overview", p)
	return nil
}

// localizeRun puts a run's times in the scheduler's zone for display.
func (c *Console) localizeRun(run *sundial.Run) {
	loc := c.s.Location()
	for _, t := range []*time.Time{&run.ScheduledAt, &run.CreatedAt, &run.StartedAt, &run.FinishedAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
}
