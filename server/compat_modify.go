package server

import (
	"errors"
	"net/http"
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

// compatChanges reads the modifiable keys of a PATCH body.
func compatChanges(obj object, ch *sundial.JobChanges, loc *time.Location) error {
	if s, ok, err := obj.str("name", "name"); err != nil {
		return err
	} else if ok {
		ch.Name = &s
	}
	if s, ok, err := obj.str("func", "func"); err != nil {
		return err
	} else if ok {
		ch.Task = &s
	}
	if a, err := argsOf(obj, "args", '['); err != nil {
		return err
	} else if a != nil {
		ch.Args = a
	}
	if k, err := argsOf(obj, "kwargs", '{'); err != nil {
		return err
	} else if k != nil {
		ch.Kwargs = k
	}
	if obj.isNull("misfire_grace_time") {
		ch.MisfireGraceTime = sundial.Ptr(time.Duration(-1))
	} else if g, err := obj.seconds("misfire_grace_time", "misfire_grace_time", false); err != nil {
		return err
	} else {
		ch.MisfireGraceTime = g
	}
	var err error
	if ch.Coalesce, err = obj.boolean("coalesce", "coalesce"); err != nil {
		return err
	}
	if ch.MaxInstances, err = obj.integer("max_instances", "max_instances"); err != nil {
		return err
	}
	if s, ok, err := obj.str("executor", "executor"); err != nil {
		return err
	} else if ok {
		ch.Executor = &s
	}
	if obj.isNull("next_run_time") {
		ch.NextRunTime = &time.Time{}
	} else if s, ok, err := obj.str("next_run_time", "next_run_time"); err != nil {
		return err
	} else if ok {
		t, err := trigger.ParseTime(s, loc)
		if err != nil {
			return errInvalid("next_run_time", "%v", err)
		}
		ch.NextRunTime = &t
	}
	if ch.Timeout, err = obj.seconds("timeout", "timeout", true); err != nil {
		return err
	}
	if s, ok, err := obj.str("description", "description"); err != nil {
		return err
	} else if ok {
		ch.Description = &s
	}
	if ch.Tags, err = obj.strings("tags", "tags"); err != nil {
		return err
	}
	return nil
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
	if _, ok := job.Trigger.First(srv.s.Now()); !ok {
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
