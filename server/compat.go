package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// compatRoutes are Flask-APScheduler's 13 routes under the prefix, with its
// request and response shapes. Where it answers 500 or HTML for bad input
// these answer 400 with a JSON error_message, code and field; where it
// misbehaves (../shared/api/flask-apscheduler.md section 9) they do the
// sane thing, as documented on each handler.
func (srv *Server) compatRoutes() []route {
	p := srv.opts.Prefix
	c := func(method, path string, role Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{method: method, path: p + path, role: role, api: apiCompat, h: h}
	}
	return []route{
		c("GET", "", RoleViewer, srv.compatInfo),
		c("POST", "/pause", RoleAdmin, srv.compatPause),
		c("POST", "/resume", RoleAdmin, srv.compatResume),
		c("POST", "/start", RoleAdmin, srv.compatStart),
		c("POST", "/shutdown", RoleAdmin, srv.compatShutdown),
		c("POST", "/jobs", RoleOperator, srv.compatAddJob),
		c("GET", "/jobs", RoleViewer, srv.compatListJobs),
		c("GET", "/jobs/{id}", RoleViewer, srv.compatGetJob),
		c("PATCH", "/jobs/{id}", RoleOperator, srv.compatPatchJob),
		c("DELETE", "/jobs/{id}", RoleOperator, srv.compatDeleteJob),
		c("POST", "/jobs/{id}/pause", RoleOperator, srv.compatPauseJob),
		c("POST", "/jobs/{id}/resume", RoleOperator, srv.compatResumeJob),
		c("POST", "/jobs/{id}/run", RoleOperator, srv.compatRunJob),
	}
}

func compatNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: fmt.Sprintf("Job %s not found", id)}
}

// compatErr maps errors to the compatible API's texts and field names.
func compatErr(err error, id string) error {
	switch {
	case errors.Is(err, sundial.ErrJobNotFound):
		return compatNotFound(id)
	case errors.Is(err, sundial.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Field: "id", Message: fmt.Sprintf("Job %s already exists.", id)}
	}
	ae := toAPIError(err, "")
	if ae.Code == codeInvalid {
		// The compatible API calls the task "func" and the store "jobstore".
		renamed := *ae
		switch {
		case ae.Field == "task":
			renamed.Field = "func"
		case ae.Field == "store":
			renamed.Field = "jobstore"
		}
		renamed.Message = strings.Replace(ae.Message, ae.Field+":", renamed.Field+":", 1)
		return &renamed
	}
	if ae.Code == codeInternal {
		return err
	}
	return ae
}

func (srv *Server) compatInfo(w http.ResponseWriter, r *http.Request) error {
	host, _ := os.Hostname()
	writeJSON(w, http.StatusOK, map[string]any{
		"allowed_hosts": []string{"*"},
		"current_host":  strings.ToLower(host),
		"running":       !srv.stopped.Load() && srv.s.State() != sundial.StateShutdown,
	})
	return nil
}

func noContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

func errStopped(status int) *apiError {
	return &apiError{Status: status, Code: codeNotRunning, Message: "Scheduler is not running"}
}

// compatPause pauses the whole scheduler. Flask-APScheduler answers 500
// when it is stopped; this answers 409.
func (srv *Server) compatPause(w http.ResponseWriter, r *http.Request) error {
	if srv.stopped.Load() {
		return errStopped(http.StatusConflict)
	}
	srv.s.Pause()
	srv.audit(r, "scheduler.pause", "", nil)
	noContent(w)
	return nil
}

func (srv *Server) compatResume(w http.ResponseWriter, r *http.Request) error {
	if srv.stopped.Load() {
		return errStopped(http.StatusConflict)
	}
	srv.s.Resume()
	srv.audit(r, "scheduler.resume", "", nil)
	noContent(w)
	return nil
}

// compatStart starts a scheduler stopped with /shutdown. Unlike
// Flask-APScheduler's, it then runs jobs again.
func (srv *Server) compatStart(w http.ResponseWriter, r *http.Request) error {
	if !srv.stopped.Load() {
		return &apiError{Status: http.StatusBadRequest, Code: codeAlreadyRunning, Message: "Scheduler is already running"}
	}
	srv.stopped.Store(false)
	srv.s.Resume()
	srv.audit(r, "scheduler.start", "", nil)
	noContent(w)
	return nil
}

// compatShutdown stops the scheduler from taking fires (runs already
// started finish). The server and its jobs stay: unlike
// Flask-APScheduler's, no job is wiped and /start brings it back.
func (srv *Server) compatShutdown(w http.ResponseWriter, r *http.Request) error {
	if srv.stopped.Load() {
		return errStopped(http.StatusBadRequest)
	}
	srv.stopped.Store(true)
	srv.s.Pause()
	srv.audit(r, "scheduler.shutdown", "", nil)
	noContent(w)
	return nil
}

func (srv *Server) compatListJobs(w http.ResponseWriter, r *http.Request) error {
	jobs, err := srv.s.ListJobs(r.Context(), sundial.JobListParams{})
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(jobs))
	for i, j := range jobs {
		out[i] = compatJob(j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (srv *Server) compatGetJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	job, err := srv.s.GetJob(r.Context(), id)
	if err != nil {
		return compatErr(err, id)
	}
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}

// compatAddJob adds a job from Flask-APScheduler's flat definition.
// Answers 200 with the job, as Flask-APScheduler does.
func (srv *Server) compatAddJob(w http.ResponseWriter, r *http.Request) error {
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	spec, err := srv.compatSpec(obj)
	if err != nil {
		return err
	}
	job, err := srv.s.AddJob(r.Context(), spec)
	if err != nil {
		return compatErr(err, spec.ID)
	}
	srv.audit(r, "job.create", job.ID, obj)
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}

// compatJobKeys are the job keys of a flat definition besides the
// trigger's own.
var compatJobKeys = []string{"id", "func", "args", "kwargs", "name", "misfire_grace_time", "coalesce",
	"max_instances", "next_run_time", "replace_existing", "jobstore", "executor",
	// Sundial's own options, accepted here too.
	"timeout", "description", "tags"}

func (srv *Server) compatSpec(obj object) (sundial.JobSpec, error) {
	var spec sundial.JobSpec
	trig, used, err := trigger.ParseFlat(obj, srv.s.Location())
	if err != nil {
		return spec, toAPIError(err, legacyPrefix(obj))
	}
	rest := object{}
	for k, v := range obj {
		rest[k] = v
	}
	for _, k := range used {
		delete(rest, k)
	}
	if err := rest.unknown("", compatJobKeys...); err != nil {
		return spec, err
	}
	// Now by the clock of the job's store, which its fire times count in
	// (jobstore is checked with the other options below).
	store, _, _ := obj.str("jobstore", "jobstore")
	now := srv.s.StoreNow(store)
	if trig == nil {
		// No trigger: run once, now (Flask-APScheduler's default).
		trig = trigger.NewDate(now.In(srv.s.Location()))
	}
	spec.Trigger = trig
	switch {
	case !obj.has("id"):
		return spec, errInvalid("id", "is required")
	case obj.isNull("id"):
		// APScheduler makes up an id.
	default:
		id, _, err := obj.str("id", "id")
		if err != nil {
			return spec, err
		}
		if id == "" {
			return spec, errInvalid("id", "must be a non-empty string")
		}
		if strings.Contains(id, "/") {
			return spec, errInvalid("id", "must not contain a slash: such a job could not be addressed in a URL")
		}
		spec.ID = id
	}
	fn, ok, err := obj.str("func", "func")
	if err != nil {
		return spec, err
	}
	if !ok {
		return spec, errInvalid("func", "is required: the name of a registered task, such as %q", sundial.NoopTask)
	}
	if _, ok := srv.s.Tasks().Lookup(fn); !ok {
		return spec, errInvalid("func", "%q is not a registered task; registered: %s", fn, strings.Join(srv.s.Tasks().Names(), ", "))
	}
	spec.Task = fn
	if err := compatOptions(obj, &spec, trig.Location()); err != nil {
		return spec, err
	}
	return spec, nil
}

// compatOptions reads the job options of a flat definition (POST): the
// native API's fields, with jobstore and replace_existing besides.
func compatOptions(obj object, spec *sundial.JobSpec, loc *time.Location) error {
	var ch sundial.JobChanges
	if err := nativeChanges(obj, &ch, loc); err != nil {
		return err
	}
	if err := specFromChanges(ch, spec); err != nil {
		return err
	}
	rep, err := obj.boolean("replace_existing", "replace_existing")
	if err != nil {
		return err
	}
	spec.ReplaceExisting = rep != nil && *rep
	spec.Store, _, err = obj.str("jobstore", "jobstore")
	return err
}

// argsOf reads args (a JSON array) or kwargs (a JSON object). A string
// for args is refused rather than split into characters.
func argsOf(obj object, key string, open byte) (json.RawMessage, error) {
	v, ok := obj[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	if len(v) == 0 || v[0] != open {
		what := "an array"
		if open == '{' {
			what = "an object"
		}
		return nil, errInvalid(key, "must be %s, got %s", what, short(v))
	}
	return v, nil
}

// legacyPrefix is where trigger fields sit in a flat definition: inside
// "trigger" in the legacy form ({"trigger": {"type": "cron", ...}}), at
// the top level otherwise.
func legacyPrefix(obj object) string {
	if v := obj["trigger"]; len(v) > 0 && v[0] == '{' {
		return "trigger."
	}
	return ""
}
