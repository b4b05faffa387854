package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// compatModifiable are the keys PATCH takes besides a trigger.
var compatModifiable = []string{"name", "func", "args", "kwargs", "misfire_grace_time", "coalesce",
	"max_instances", "executor", "next_run_time", "timeout", "description", "tags"}

// compatPatchJob changes a job. Unlike Flask-APScheduler's, it is atomic
// (a bad key changes nothing, even next to a trigger) and a new trigger
// leaves a paused job paused.
func (srv *Server) compatPatchJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	job, err := srv.s.GetJob(r.Context(), id)
	if err != nil {
		return compatErr(err, id)
	}
	if obj.has("id") {
		return errInvalid("id", "cannot be changed")
	}
	if len(obj) == 0 {
		writeJSON(w, http.StatusOK, compatJob(job))
		return nil
	}
	var ch sundial.JobChanges
	rest := obj
	if obj.has("trigger") {
		t, used, err := trigger.ParseFlat(obj, srv.s.Location())
		if err != nil {
			return toAPIError(err, legacyPrefix(obj))
		}
		ch.Trigger = t
		rest = object{}
		for k, v := range obj {
			rest[k] = v
		}
		for _, k := range used {
			delete(rest, k)
		}
	}
	if err := rest.unknown("", compatModifiable...); err != nil {
		ae := err.(*apiError)
		ae.Message = ae.Field + ": is not a modifiable attribute of a job (trigger fields need \"trigger\")"
		return ae
	}
	if err := compatChanges(rest, &ch, job.Trigger.Location()); err != nil {
		return err
	}
	if fn, ok, _ := rest.str("func", "func"); ok {
		if _, reg := srv.s.Tasks().Lookup(fn); !reg {
			return errInvalid("func", "%q is not a registered task", fn)
		}
	}
	job, err = srv.s.ModifyJob(r.Context(), id, ch)
	if err != nil {
		return compatErr(err, id)
	}
	if len(obj) > 0 {
		srv.audit(r, "job.update", id, obj)
	}
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}

// compatChanges reads the modifiable keys of a PATCH body: the native
// API's, with the task called func.
func compatChanges(obj object, ch *sundial.JobChanges, loc *time.Location) error {
	native := object{}
	for k, v := range obj {
		if k == "func" {
			k = "task"
		}
		native[k] = v
	}
	err := nativeChanges(native, ch, loc)
	var ae *apiError
	if errors.As(err, &ae) && ae.Field == "task" {
		return errInvalid("func", "%s", strings.TrimPrefix(ae.Message, "task: "))
	}
	return err
}

func (srv *Server) compatDeleteJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := srv.s.RemoveJob(r.Context(), id); err != nil {
		return compatErr(err, id)
	}
	srv.audit(r, "job.delete", id, nil)
	noContent(w)
	return nil
}

func (srv *Server) compatPauseJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	job, err := srv.s.PauseJob(r.Context(), id)
	if err != nil {
		return compatErr(err, id)
	}
	srv.audit(r, "job.pause", id, nil)
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}

// compatResumeJob resumes a job. A job whose schedule has finished is kept
// (paused) and the answer is 409, where Flask-APScheduler deletes it and
// answers 200 null.
func (srv *Server) compatResumeJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	job, err := srv.resumeJob(r, id)
	if err != nil {
		return compatErr(err, id)
	}
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}

// resumeJob resumes a job unless its trigger has no fire time left.
func (srv *Server) resumeJob(r *http.Request, id string) (*sundial.Job, error) {
	job, err := srv.s.GetJob(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if _, ok := job.Trigger.First(srv.s.StoreNow(job.Store)); !ok {
		return nil, &apiError{Status: http.StatusConflict, Code: codeFinished,
			Message: "job " + id + " has no fire time left: its trigger is finished; give it a new trigger or delete it"}
	}
	job, err = srv.s.ResumeJob(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, errors.New("resume: job finished while resuming")
	}
	srv.audit(r, "job.resume", id, nil)
	return job, nil
}

// compatRunJob starts one run now, through the job's executor (not in the
// request, as Flask-APScheduler does), and answers the job at once; the
// run's id is in the X-Sundial-Run-Id header.
func (srv *Server) compatRunJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	run, err := srv.s.RunJobNow(r.Context(), id)
	if err != nil {
		return compatErr(err, id)
	}
	job, err := srv.s.GetJob(r.Context(), id)
	if err != nil {
		return compatErr(err, id)
	}
	srv.audit(r, "job.run", id, map[string]string{"run_id": run.ID})
	w.Header().Set("X-Sundial-Run-Id", run.ID)
	writeJSON(w, http.StatusOK, compatJob(job))
	return nil
}
