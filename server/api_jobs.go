package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// nativeRoutes are the routes of the native API at /api/v1.
func (srv *Server) nativeRoutes() []route {
	n := func(method, path string, role Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{method: method, path: "/api/v1" + path, role: role, api: apiNative, h: h}
	}
	return []route{
		n("GET", "/jobs", RoleViewer, srv.listJobs),
		n("POST", "/jobs", RoleOperator, srv.createJob),
		n("GET", "/jobs/{id}", RoleViewer, srv.getJob),
		n("PUT", "/jobs/{id}", RoleOperator, srv.replaceJob),
		n("PATCH", "/jobs/{id}", RoleOperator, srv.patchJob),
		n("DELETE", "/jobs/{id}", RoleOperator, srv.deleteJob),
		n("POST", "/jobs/{id}/pause", RoleOperator, srv.pauseJob),
		n("POST", "/jobs/{id}/resume", RoleOperator, srv.resumeJobNative),
		n("POST", "/jobs/{id}/run", RoleOperator, srv.runJob),
		n("GET", "/jobs/{id}/runs", RoleViewer, srv.listJobRuns),
		n("GET", "/runs", RoleViewer, srv.listRuns),
		n("GET", "/runs/{id}", RoleViewer, srv.getRun),
		n("GET", "/runs/{id}/output", RoleViewer, srv.getRunOutput),
		n("POST", "/triggers/preview", RoleViewer, srv.previewTrigger),
		n("POST", "/triggers/validate", RoleViewer, srv.validateTrigger),
		n("GET", "/tasks", RoleViewer, srv.listTasks),
		n("GET", "/scheduler", RoleViewer, srv.schedulerState),
		n("POST", "/scheduler/pause", RoleAdmin, srv.schedulerPause),
		n("POST", "/scheduler/resume", RoleAdmin, srv.schedulerResume),
		n("GET", "/nodes", RoleViewer, srv.listNodes),
		n("GET", "/events", RoleViewer, srv.streamEvents),
		n("GET", "/audit", RoleAdmin, srv.listAudit),
		n("GET", "/openapi.json", RoleViewer, srv.openAPI),
	}
}

// writeJob answers a job with its ETag.
func writeJob(w http.ResponseWriter, status int, job *sundial.Job) {
	jj := toJobJSON(job)
	w.Header().Set("ETag", jj.ETag)
	writeJSON(w, status, jj)
}

// ifMatch returns a check for JobChanges.Check from the If-Match header:
// the job's definition must still be the one the client read.
func ifMatch(r *http.Request) func(*sundial.Job) error {
	want := r.Header.Get("If-Match")
	if want == "" || want == "*" {
		return nil
	}
	return func(j *sundial.Job) error {
		for _, tag := range strings.Split(want, ",") {
			if strings.TrimSpace(tag) == jobETag(j) {
				return nil
			}
		}
		return &apiError{Status: http.StatusPreconditionFailed, Code: codePrecondition,
			Message: "the job was changed since it was read (If-Match " + want + ", now " + jobETag(j) + "); read it again"}
	}
}

func (srv *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	job, err := srv.s.GetJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJob(w, http.StatusOK, job)
	return nil
}

func (srv *Server) createJob(w http.ResponseWriter, r *http.Request) error {
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	spec, err := srv.nativeSpec(obj, "")
	if err != nil {
		return err
	}
	if spec.ID != "" && strings.Contains(spec.ID, "/") {
		return errInvalid("id", "must not contain a slash")
	}
	job, err := srv.s.AddJob(r.Context(), spec)
	if err != nil {
		return err
	}
	srv.audit(r, "job.create", job.ID, obj)
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	writeJob(w, http.StatusCreated, job)
	return nil
}

// replaceJob is PUT: the whole definition, creating the job when it does
// not exist (201) or replacing it (200; If-Match honoured).
func (srv *Server) replaceJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	if obj.has("replace_existing") {
		return errInvalid("replace_existing", "is implied by PUT; leave it out")
	}
	spec, err := srv.nativeSpec(obj, id)
	if err != nil {
		return err
	}
	old, err := srv.s.GetJob(r.Context(), id)
	exists := err == nil
	if err != nil && !isNotFound(err) {
		return err
	}
	if check := ifMatch(r); check != nil {
		if !exists {
			return &apiError{Status: http.StatusPreconditionFailed, Code: codePrecondition, Message: "If-Match given but the job does not exist"}
		}
		if err := check(old); err != nil {
			return err
		}
	}
	spec.ReplaceExisting = true
	job, err := srv.s.AddJob(r.Context(), spec)
	if err != nil {
		return err
	}
	srv.audit(r, "job.replace", id, obj)
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeJob(w, status, job)
	return nil
}

func (srv *Server) patchJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	if obj.has("id") {
		return errInvalid("id", "cannot be changed")
	}
	if err := obj.unknown("", nativePatchKeys...); err != nil {
		return err
	}
	job, err := srv.s.GetJob(r.Context(), id)
	if err != nil {
		return err
	}
	if len(obj) == 0 {
		if check := ifMatch(r); check != nil {
			if err := check(job); err != nil {
				return err
			}
		}
		writeJob(w, http.StatusOK, job)
		return nil
	}
	ch := sundial.JobChanges{Check: ifMatch(r)}
	if ch.Trigger, err = readTrigger(obj, srv.s.Location()); err != nil {
		return err
	}
	if obj.isNull("trigger") {
		return errInvalid("trigger", "cannot be removed")
	}
	loc := job.Trigger.Location()
	if ch.Trigger != nil {
		loc = ch.Trigger.Location()
	}
	if err := nativeChanges(obj, &ch, loc); err != nil {
		return err
	}
	job, err = srv.s.ModifyJob(r.Context(), id, ch)
	if err != nil {
		return err
	}
	if len(obj) > 0 {
		srv.audit(r, "job.update", id, obj)
	}
	writeJob(w, http.StatusOK, job)
	return nil
}

func (srv *Server) deleteJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if check := ifMatch(r); check != nil {
		job, err := srv.s.GetJob(r.Context(), id)
		if err != nil {
			return err
		}
		if err := check(job); err != nil {
			return err
		}
	}
	if err := srv.s.RemoveJob(r.Context(), id); err != nil {
		return err
	}
	srv.audit(r, "job.delete", id, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (srv *Server) pauseJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	job, err := srv.s.PauseJob(r.Context(), id)
	if err != nil {
		return err
	}
	srv.audit(r, "job.pause", id, nil)
	writeJob(w, http.StatusOK, job)
	return nil
}

func (srv *Server) resumeJobNative(w http.ResponseWriter, r *http.Request) error {
	job, err := srv.resumeJob(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJob(w, http.StatusOK, job)
	return nil
}

// runJob starts one run now and answers 202 with the run (submitted, or
// skipped when max_instances is reached).
func (srv *Server) runJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	run, err := srv.s.RunJobNow(r.Context(), id)
	if err != nil {
		return err
	}
	srv.audit(r, "job.run", id, map[string]string{"run_id": run.ID})
	w.Header().Set("Location", "/api/v1/runs/"+run.ID)
	writeJSON(w, http.StatusAccepted, toRunJSON(run, false))
	return nil
}

// listJobs answers a page of jobs by next fire time (paused last), with
// filters task, tag, executor, store, paused and q (text in id, name or
// description), and a cursor to the next page.
func (srv *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := sundial.JobListParams{Task: q.Get("task"), Tag: q.Get("tag"), Executor: q.Get("executor"), Store: q.Get("store")}
	if v := q.Get("paused"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errInvalid("paused", "must be true or false, got %q", v)
		}
		p.Paused = &b
	}
	limit, err := queryLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	var after *sundial.Job
	if c := q.Get("cursor"); c != "" {
		if after, err = decodeJobCursor(c); err != nil {
			return err
		}
	}
	jobs, err := srv.s.ListJobs(r.Context(), p)
	if err != nil {
		return err
	}
	text := strings.ToLower(q.Get("q"))
	out := []jobJSON{}
	next := ""
	for _, j := range jobs {
		if after != nil && sundial.CompareJobs(j, after) <= 0 {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(j.ID+"\x00"+j.Name+"\x00"+j.Description), text) {
			continue
		}
		if len(out) == limit {
			next = encodeJobCursor(jobs, out[len(out)-1].ID)
			break
		}
		out = append(out, toJobJSON(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out, "next_cursor": next})
	return nil
}

// A job cursor holds the sort key of the last job of a page.
type jobCursor struct {
	ID   string `json:"i"`
	Next int64  `json:"n,omitempty"` // next fire time, Unix µs; 0 paused
}

func encodeJobCursor(jobs []*sundial.Job, lastID string) string {
	i := slices.IndexFunc(jobs, func(j *sundial.Job) bool { return j.ID == lastID })
	c := jobCursor{ID: lastID}
	if i >= 0 && jobs[i].Scheduled() {
		c.Next = jobs[i].NextRunTime.UnixMicro()
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeJobCursor(s string) (*sundial.Job, error) {
	var c jobCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return nil, errInvalid("cursor", "is not a cursor this API gave out")
	}
	j := &sundial.Job{ID: c.ID, Paused: c.Next == 0}
	if c.Next != 0 {
		j.NextRunTime = time.UnixMicro(c.Next)
	}
	return j, nil
}

func queryLimit(v string, def, most int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, errInvalid("limit", "must be a whole number from 1 to %d, got %q", most, v)
	}
	return n, nil
}
