package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// runsPerPage bounds the runs page.
const runsPerPage = 100

// runStatuses are the choices of the status filter.
var runStatuses = []sundial.RunStatus{sundial.RunSubmitted, sundial.RunRunning, sundial.RunSucceeded, sundial.RunFailed,
	sundial.RunTimedOut, sundial.RunMissed, sundial.RunSkipped, sundial.RunInterrupted}

// runsPage is what the runs template shows.
type runsPage struct {
	Job, Status, From, To string
	Statuses              []sundial.RunStatus
	Errors                map[string]string // filter errors by field
	Runs                  []*sundial.Run
	OlderURL              string
	Live                  bool   // new runs are added from the event stream (first page only)
	FromISO               string // the from filter as RFC 3339, for the live list
}

func (c *Console) runs(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	p := runsPage{Job: q.Get("job"), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"),
		Statuses: runStatuses, Errors: map[string]string{}}
	params := sundial.RunListParams{JobID: p.Job, Limit: runsPerPage + 1}
	if p.Status != "" {
		params.Status = sundial.RunStatus(p.Status)
		known := false
		for _, s := range runStatuses {
			known = known || s == params.Status
		}
		if !known {
			p.Errors["status"] = "not a run status"
		}
	}
	for _, f := range []struct {
		key, val string
		t        *time.Time
	}{{"from", p.From, &params.From}, {"to", p.To, &params.To}} {
		if f.val == "" {
			continue
		}
		t, err := parseFilterTime(f.val, c.s.Location())
		if err != nil {
			p.Errors[f.key] = err.Error()
			continue
		}
		*f.t = t
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return badRequest("before must be the seq of a run")
		}
		params.BeforeSeq = n
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		runs, err := c.s.ListRuns(r.Context(), params)
		if err != nil {
			return err
		}
		if len(runs) > runsPerPage {
			runs = runs[:runsPerPage]
			older := url.Values{}
			for _, k := range []string{"job", "status", "from", "to"} {
				if s := q.Get(k); s != "" {
					older.Set(k, s)
				}
			}
			older.Set("before", strconv.FormatInt(runs[len(runs)-1].Seq, 10))
			p.OlderURL = "/runs?" + older.Encode()
		}
		for _, run := range runs {
			c.localizeRun(run)
		}
		p.Runs = runs
		p.Live = params.BeforeSeq == 0 && params.To.IsZero()
		if !params.From.IsZero() {
			p.FromISO = params.From.Format(time.RFC3339)
		}
	}
	c.render(w, r, v, status, "runs.html", "Runs", "runs", p)
	return nil
}

// parseFilterTime reads a time filter: what trigger.ParseTime reads, and
// the minutes-only form of a datetime-local input (2025-03-01T09:30), as
// a wall time in loc unless it has an offset.
func parseFilterTime(s string, loc *time.Location) (time.Time, error) {
	if len(s) == len("2006-01-02T15:04") {
		s += ":00"
	}
	return trigger.ParseTime(s, loc)
}

// maxOutput is how much of a run's output the run page shows; the whole
// is at /api/v1/runs/{id}/output.
const maxOutput = 64 << 10

// runPage is what the run template shows.
type runPage struct {
	Run       *sundial.Run
	JobName   string // "" when the job is gone
	Output    string
	Truncated bool
	Pending   bool // not finished: the page follows the run live
}

func (c *Console) run(w http.ResponseWriter, r *http.Request, v *viewer) error {
	run, err := c.s.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c.localizeRun(run)
	p := runPage{Run: run, Output: run.Output, Pending: !run.Status.Finished()}
	if len(p.Output) > maxOutput {
		cut := maxOutput
		for cut > 0 && !utf8.RuneStart(p.Output[cut]) {
			cut--
		}
		p.Output, p.Truncated = p.Output[:cut], true
	}
	if job, err := c.s.GetJob(r.Context(), run.JobID); err == nil {
		p.JobName = job.Name
	}
	c.render(w, r, v, http.StatusOK, "run.html", "Run "+run.ID, "runs", p)
	return nil
}
