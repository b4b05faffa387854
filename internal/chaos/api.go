package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// JobDef is a sundial:http job of a scenario: an interval trigger from a
// whole-second start, calling the sink.
type JobDef struct {
	ID       string
	Interval time.Duration
	Start    time.Time
	// Coalesce nil keeps the server's default (true).
	Coalesce *bool
	// Grace is misfire_grace_time; nil is null (no limit).
	Grace        *time.Duration
	MaxInstances int // 0: the default (1)
	// Hold makes the sink hold each request this long.
	Hold time.Duration
	// Recovery is the job's recovery policy: "" (the default, abandon) or
	// "retry": a run lost with its node is run again, under its id.
	Recovery string
}

// Fires are the job's fire times in [from, to).
func (j JobDef) Fires(from, to time.Time) []time.Time {
	var out []time.Time
	k := int64(0)
	if from.After(j.Start) {
		k = int64(from.Sub(j.Start) / j.Interval)
	}
	for ; ; k++ {
		t := j.Start.Add(time.Duration(k) * j.Interval)
		if !t.Before(to) {
			return out
		}
		if !t.Before(from) {
			out = append(out, t)
		}
	}
}

// coalesces is the job's coalesce option with the default applied.
func (j JobDef) coalesces() bool { return j.Coalesce == nil || *j.Coalesce }

// body is the native API's job definition.
func (j JobDef) body(sinkURL string) map[string]any {
	u := sinkURL + "/fire"
	if j.Hold > 0 {
		u += "?hold=" + j.Hold.String()
	}
	secs := j.Interval.Seconds()
	b := map[string]any{
		"id":   j.ID,
		"task": "sundial:http",
		"kwargs": map[string]any{
			"url": u, "method": "POST", "timeout": 30,
		},
		"trigger": map[string]any{
			"type": "interval", "seconds": secs,
			"start_date": apiTime(j.Start), "timezone": "UTC",
		},
	}
	if j.Coalesce != nil {
		b["coalesce"] = *j.Coalesce
	}
	if j.Grace != nil {
		b["misfire_grace_time"] = j.Grace.Seconds()
	} else {
		b["misfire_grace_time"] = nil
	}
	if j.MaxInstances > 0 {
		b["max_instances"] = j.MaxInstances
	}
	if j.Recovery != "" {
		b["recovery"] = j.Recovery
	}
	return b
}

// RunRecord is a run as the native API lists it.
type RunRecord struct {
	ID          string     `json:"id"`
	JobID       string     `json:"job_id"`
	Seq         int64      `json:"seq"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	Attempt     int        `json:"attempt"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	Manual      bool       `json:"manual"`
	Coalesced   int        `json:"coalesced"`
	Node        string     `json:"node"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// call sends a JSON request to a node's API and decodes the answer into
// out (when not nil).
func call(base, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// CreateJob adds a job through a node's native API.
func CreateJob(base, sinkURL string, j JobDef) error {
	if err := call(base, "POST", "/api/v1/jobs", j.body(sinkURL), nil); err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// ListRuns pages through the runs of fires scheduled in [from, to) (zero
// times do not bound), all of them.
func ListRuns(base string, from, to time.Time) ([]RunRecord, error) {
	var all []RunRecord
	before := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if !from.IsZero() {
			q.Set("from", apiTime(from))
		}
		if !to.IsZero() {
			q.Set("to", apiTime(to))
		}
		if before != "" {
			q.Set("before", before)
		}
		var page struct {
			Runs []RunRecord `json:"runs"`
			Next string      `json:"next_cursor"`
		}
		if err := call(base, "GET", "/api/v1/runs?"+q.Encode(), nil, &page); err != nil {
			return all, fmt.Errorf("list runs: %w", err)
		}
		all = append(all, page.Runs...)
		if page.Next == "" {
			return all, nil
		}
		before = page.Next
	}
}

// HasOpenRuns reports whether a run of a fire scheduled before to is still
// submitted or running.
func HasOpenRuns(base string, to time.Time) (bool, error) {
	for _, status := range []string{"submitted", "running"} {
		q := url.Values{"limit": {"1"}, "status": {status}, "to": {apiTime(to)}}
		var page struct {
			Runs []RunRecord `json:"runs"`
		}
		if err := call(base, "GET", "/api/v1/runs?"+q.Encode(), nil, &page); err != nil {
			return false, err
		}
		if len(page.Runs) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// ClaimedUntil reports whether every job has been claimed for all its
// fires before to: its next fire time is at or after to (or it has none).
func ClaimedUntil(base string, to time.Time) (bool, error) {
	var page struct {
		Jobs []struct {
			NextRunTime *string `json:"next_run_time"`
		} `json:"jobs"`
	}
	if err := call(base, "GET", "/api/v1/jobs?limit=1000", nil, &page); err != nil {
		return false, err
	}
	for _, j := range page.Jobs {
		if j.NextRunTime == nil {
			continue
		}
		next, err := time.Parse(time.RFC3339Nano, *j.NextRunTime)
		if err != nil {
			return false, err
		}
		if next.Before(to) {
			return false, nil
		}
	}
	return true, nil
}

// ListJobs returns every job's definition as the API shows it, by id,
// without the fields that change at every fire (next_run_time, etag,
// updated_at): what must survive a fault unchanged.
func ListJobs(base string) (map[string]string, error) {
	var page struct {
		Jobs []map[string]any `json:"jobs"`
		Next string           `json:"next_cursor"`
	}
	if err := call(base, "GET", "/api/v1/jobs?limit=1000", nil, &page); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	if page.Next != "" {
		return nil, fmt.Errorf("list jobs: more than 1000 jobs")
	}
	out := map[string]string{}
	for _, j := range page.Jobs {
		for _, k := range []string{"next_run_time", "etag", "updated_at"} {
			delete(j, k)
		}
		b, _ := json.Marshal(j) // map keys sorted: a stable text
		out[fmt.Sprint(j["id"])] = string(b)
	}
	return out, nil
}

// SchedulerTime is the node's idea of now (GET /api/v1/scheduler, "time").
func SchedulerTime(base string) (time.Time, error) {
	var st struct {
		Time string `json:"time"`
	}
	if err := call(base, "GET", "/api/v1/scheduler", nil, &st); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, st.Time)
}

func itoa(n int) string { return strconv.Itoa(n) }

// apiTime formats a time as the API reads it: ISO 8601 with a numeric
// offset, microseconds.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000-07:00") }
