package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

func isNotFound(err error) bool {
	return errors.Is(err, sundial.ErrJobNotFound) || errors.Is(err, sundial.ErrRunNotFound)
}

// runStatuses are the values of the status filter.
var runStatuses = []sundial.RunStatus{sundial.RunSubmitted, sundial.RunRunning, sundial.RunSucceeded, sundial.RunFailed,
	sundial.RunTimedOut, sundial.RunMissed, sundial.RunSkipped, sundial.RunInterrupted}

// runParams reads the filters of a run list: job, status, node, from, to
// (on the scheduled time), before (a cursor: the seq of the last run of
// the previous page) and limit.
func (srv *Server) runParams(q url.Values) (sundial.RunListParams, int, error) {
	p := sundial.RunListParams{JobID: q.Get("job"), Node: q.Get("node")}
	if s := q.Get("status"); s != "" {
		ok := false
		for _, st := range runStatuses {
			ok = ok || string(st) == s
		}
		if !ok {
			return p, 0, errInvalid("status", "%q is not a run status; one of %v", s, runStatuses)
		}
		p.Status = sundial.RunStatus(s)
	}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"from", &p.From}, {"to", &p.To}} {
		if v := q.Get(f.key); v != "" {
			t, err := trigger.ParseTime(v, srv.s.Location())
			if err != nil {
				return p, 0, errInvalid(f.key, "%v", err)
			}
			*f.t = t
		}
	}
	before, limit, err := pageParams(q, 50)
	if err != nil {
		return p, 0, err
	}
	p.BeforeSeq = before
	p.Limit = limit + 1 // one more tells whether there is a next page
	return p, limit, nil
}

// pageParams reads a seq-paged list's cursor (before: the seq of the last
// item of the previous page) and limit.
func pageParams(q url.Values, def int) (before int64, limit int, err error) {
	if v := q.Get("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, 0, errInvalid("before", "must be the seq of the last item of the previous page, got %q", v)
		}
	}
	limit, err = queryLimit(q.Get("limit"), def, 1000)
	return before, limit, err
}

func (srv *Server) writeRuns(w http.ResponseWriter, r *http.Request, p sundial.RunListParams, limit int) error {
	runs, err := srv.s.ListRuns(r.Context(), p)
	if err != nil {
		return err
	}
	next := ""
	if len(runs) > limit {
		runs = runs[:limit]
		next = strconv.FormatInt(runs[len(runs)-1].Seq, 10)
	}
	out := make([]runJSON, len(runs))
	for i, run := range runs {
		out[i] = toRunJSON(run, false)
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out, "next_cursor": next})
	return nil
}

// listRuns answers a page of runs, newest first.
func (srv *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	p, limit, err := srv.runParams(r.URL.Query())
	if err != nil {
		return err
	}
	return srv.writeRuns(w, r, p, limit)
}

// listJobRuns is listRuns for one job. The job need not exist any more
// (history outlives it): an unknown id has an empty history.
func (srv *Server) listJobRuns(w http.ResponseWriter, r *http.Request) error {
	p, limit, err := srv.runParams(r.URL.Query())
	if err != nil {
		return err
	}
	p.JobID = r.PathValue("id")
	return srv.writeRuns(w, r, p, limit)
}

func (srv *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := srv.s.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRunJSON(run, true))
	return nil
}

// getRunOutput answers a run's captured output as plain text.
func (srv *Server) getRunOutput(w http.ResponseWriter, r *http.Request) error {
	run, err := srv.s.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(run.Output))
	return nil
}
