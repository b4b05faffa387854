package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// jobsPerPage bounds the rows of the jobs page (each row reads the job's
// latest run).
const jobsPerPage = 100

// jobsPage is what the jobs template shows.
type jobsPage struct {
	Q, Task, Tag, Paused string
	Tasks                []string
	Rows                 []jobRow
	Matching             int
	First, Last          int // 1-based positions of the rows shown
	PrevURL, NextURL     string
}

// jobRow is one job with what the list shows about it.
type jobRow struct {
	*sundial.Job
	Next time.Time // the next fire time in the job's zone; zero when none
	Last *sundial.Run
}

func (c *Console) jobs(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	p := jobsPage{Q: strings.TrimSpace(q.Get("q")), Task: q.Get("task"), Tag: strings.TrimSpace(q.Get("tag")),
		Paused: q.Get("paused"), Tasks: c.s.Tasks().Names()}
	params := sundial.JobListParams{Task: p.Task, Tag: p.Tag}
	switch p.Paused {
	case "":
	case "true", "false":
		b := p.Paused == "true"
		params.Paused = &b
	default:
		return badRequest("paused must be true or false")
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return badRequest("page must be a whole number from 1")
		}
		page = n
	}
	all, err := c.s.ListJobs(r.Context(), params)
	if err != nil {
		return err
	}
	text := strings.ToLower(p.Q)
	var matching []*sundial.Job
	for _, j := range all {
		if text == "" || strings.Contains(strings.ToLower(j.ID+"\x00"+j.Name+"\x00"+j.Description), text) {
			matching = append(matching, j)
		}
	}
	p.Matching = len(matching)
	start := min((page-1)*jobsPerPage, len(matching))
	end := min(start+jobsPerPage, len(matching))
	for _, j := range matching[start:end] {
		row := jobRow{Job: j}
		if !j.NextRunTime.IsZero() {
			row.Next = j.NextRunTime.In(j.Trigger.Location())
		}
		runs, err := c.s.ListRuns(r.Context(), sundial.RunListParams{JobID: j.ID, Limit: 1})
		if err != nil {
			return err
		}
		if len(runs) > 0 {
			row.Last = runs[0]
		}
		p.Rows = append(p.Rows, row)
	}
	p.First, p.Last = start+1, end
	pageURL := func(n int) string {
		v := url.Values{}
		for _, k := range []string{"q", "task", "tag", "paused"} {
			if s := q.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "/jobs?" + v.Encode()
	}
	if page > 1 {
		p.PrevURL = pageURL(page - 1)
	}
	if end < len(matching) {
		p.NextURL = pageURL(page + 1)
	}
	c.render(w, r, v, http.StatusOK, "jobs.html", "Jobs", "jobs", p)
	return nil
}

// jobPage is what the job template shows.
type jobPage struct {
	Job         *sundial.Job
	TriggerJSON string
	Args        string
	Kwargs      string
	Next        []time.Time // the next fire times, in the job's zone
	NextNote    string      // why there are none, or fewer than asked
	Runs        []*sundial.Run
	Chart       *durationChart
}

// jobNextFires and jobRuns bound the job page's lists.
const (
	jobNextFires = 10
	jobRuns      = 50
)

func (c *Console) job(w http.ResponseWriter, r *http.Request, v *viewer) error {
	j, err := c.s.GetJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	loc := j.Trigger.Location()
	tj, _ := j.Trigger.MarshalJSON()
	p := jobPage{Job: j, TriggerJSON: prettyJSON(tj), Args: prettyJSON(j.Args), Kwargs: prettyJSON(j.Kwargs)}
	if p.Args == "" {
		p.Args = "[]"
	}
	if p.Kwargs == "" {
		p.Kwargs = "{}"
	}
	switch {
	case j.Paused:
		p.NextNote = "The job is paused: it does not fire until it is resumed."
	case j.NextRunTime.IsZero():
		p.NextNote = "The schedule is finished: the trigger has no fire time left."
	default:
		// The stored next fire time first, then the trigger's from there.
		next, ok := j.NextRunTime, true
		for ok && len(p.Next) < jobNextFires {
			p.Next = append(p.Next, next.In(loc))
			next, ok = j.Trigger.Next(next)
		}
		if !ok {
			p.NextNote = "The schedule ends after these."
		}
	}
	if !j.CreatedAt.IsZero() {
		j.CreatedAt, j.UpdatedAt = j.CreatedAt.In(c.s.Location()), j.UpdatedAt.In(c.s.Location())
	}
	runs, err := c.s.ListRuns(r.Context(), sundial.RunListParams{JobID: j.ID, Limit: jobRuns})
	if err != nil {
		return err
	}
	for _, run := range runs {
		c.localizeRun(run)
	}
	p.Runs = runs
	p.Chart = buildDurationChart(runs)
	c.render(w, r, v, http.StatusOK, "job.html", "Job "+j.Name, "jobs", p)
	return nil
}

// describe is a trigger's description for the templates.
func describe(t trigger.Trigger) string {
	if t == nil {
		return ""
	}
	return t.Describe()
}
