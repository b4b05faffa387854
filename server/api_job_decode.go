package server

import (
	"encoding/json"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// nativeJobKeys are the keys of a job definition in the native API.
var nativeJobKeys = []string{"id", "name", "store", "task", "args", "kwargs", "trigger", "paused", "next_run_time",
	"executor", "misfire_grace_time", "coalesce", "max_instances", "timeout", "retry", "recovery",
	"description", "tags", "replace_existing"}

// nativePatchKeys are the keys PATCH may change.
var nativePatchKeys = []string{"name", "task", "args", "kwargs", "trigger", "next_run_time",
	"executor", "misfire_grace_time", "coalesce", "max_instances", "timeout", "retry", "recovery",
	"description", "tags"}

// readTrigger reads the "trigger" object of a body; loc is the default
// zone. Errors name "trigger.<key>".
func readTrigger(obj object, loc *time.Location) (trigger.Trigger, error) {
	v, ok := obj["trigger"]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	if len(v) == 0 || v[0] != '{' {
		return nil, errInvalid("trigger", "must be an object such as {\"type\": \"cron\", \"hour\": \"9\"}")
	}
	t, err := trigger.ParseIn(v, loc)
	if err != nil {
		return nil, toAPIError(err, "trigger.")
	}
	return t, nil
}

// nativeSpec reads a job definition for create (and replace, where id
// comes from the path).
func (srv *Server) nativeSpec(obj object, pathID string) (sundial.JobSpec, error) {
	var spec sundial.JobSpec
	if err := obj.unknown("", nativeJobKeys...); err != nil {
		return spec, err
	}
	id, _, err := obj.str("id", "id")
	if err != nil {
		return spec, err
	}
	if pathID != "" {
		if id != "" && id != pathID {
			return spec, errInvalid("id", "%q differs from the id in the path, %q", id, pathID)
		}
		id = pathID
	}
	spec.ID = id
	if spec.Name, _, err = obj.str("name", "name"); err != nil {
		return spec, err
	}
	if spec.Store, _, err = obj.str("store", "store"); err != nil {
		return spec, err
	}
	if spec.Task, _, err = obj.str("task", "task"); err != nil {
		return spec, err
	}
	if spec.Trigger, err = readTrigger(obj, srv.s.Location()); err != nil {
		return spec, err
	}
	if spec.Trigger == nil {
		return spec, errInvalid("trigger", "is required: an object such as {\"type\": \"cron\", \"hour\": \"9\"}")
	}
	var ch sundial.JobChanges
	if err := nativeChanges(obj, &ch, spec.Trigger.Location()); err != nil {
		return spec, err
	}
	if err := specFromChanges(ch, &spec); err != nil {
		return spec, err
	}
	paused, err := obj.boolean("paused", "paused")
	if err != nil {
		return spec, err
	}
	if paused != nil && *paused {
		spec.Paused = true
	}
	rep, err := obj.boolean("replace_existing", "replace_existing")
	if err != nil {
		return spec, err
	}
	spec.ReplaceExisting = rep != nil && *rep
	return spec, nil
}

// specFromChanges puts the options read by nativeChanges into a spec to
// add (the task, if any, is the caller's).
func specFromChanges(ch sundial.JobChanges, spec *sundial.JobSpec) error {
	if ch.Name != nil {
		spec.Name = *ch.Name
	}
	if ch.Args != nil {
		spec.Args = ch.Args
	}
	if ch.Kwargs != nil {
		spec.Kwargs = ch.Kwargs
	}
	if ch.Executor != nil {
		spec.Executor = *ch.Executor
	}
	spec.MisfireGraceTime, spec.Coalesce, spec.Retry = ch.MisfireGraceTime, ch.Coalesce, ch.Retry
	if ch.MaxInstances != nil {
		if *ch.MaxInstances < 1 {
			return errInvalid("max_instances", "must be at least 1, got %d", *ch.MaxInstances)
		}
		spec.MaxInstances = *ch.MaxInstances
	}
	if ch.Timeout != nil {
		spec.Timeout = *ch.Timeout
	}
	if ch.Recovery != nil {
		spec.Recovery = *ch.Recovery
	}
	if ch.Description != nil {
		spec.Description = *ch.Description
	}
	if ch.Tags != nil {
		spec.Tags = *ch.Tags
	}
	if ch.NextRunTime != nil {
		if ch.NextRunTime.IsZero() {
			spec.Paused = true
		} else {
			spec.NextRunTime = *ch.NextRunTime
		}
	}
	return nil
}

// nativeChanges reads the optional fields shared by create and PATCH.
func nativeChanges(obj object, ch *sundial.JobChanges, loc *time.Location) error {
	var err error
	if s, ok, err := obj.str("name", "name"); err != nil {
		return err
	} else if ok {
		ch.Name = &s
	}
	if s, ok, err := obj.str("task", "task"); err != nil {
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
	if s, ok, err := obj.str("executor", "executor"); err != nil {
		return err
	} else if ok {
		ch.Executor = &s
	}
	if obj.isNull("misfire_grace_time") {
		ch.MisfireGraceTime = sundial.Ptr(time.Duration(-1))
	} else if ch.MisfireGraceTime, err = obj.seconds("misfire_grace_time", "misfire_grace_time", false); err != nil {
		return err
	}
	if ch.Coalesce, err = obj.boolean("coalesce", "coalesce"); err != nil {
		return err
	}
	if ch.MaxInstances, err = obj.integer("max_instances", "max_instances"); err != nil {
		return err
	}
	if ch.Timeout, err = obj.seconds("timeout", "timeout", true); err != nil {
		return err
	}
	if ch.Retry, err = readRetry(obj); err != nil {
		return err
	}
	if s, ok, err := obj.str("recovery", "recovery"); err != nil {
		return err
	} else if ok {
		r := sundial.Recovery(s)
		ch.Recovery = &r
	}
	if s, ok, err := obj.str("description", "description"); err != nil {
		return err
	} else if ok {
		ch.Description = &s
	}
	if ch.Tags, err = obj.strings("tags", "tags"); err != nil {
		return err
	}
	if obj.has("next_run_time") {
		if obj.isNull("next_run_time") {
			ch.NextRunTime = &time.Time{}
		} else {
			s, _, err := obj.str("next_run_time", "next_run_time")
			if err != nil {
				return err
			}
			t, err := trigger.ParseTime(s, loc)
			if err != nil {
				return errInvalid("next_run_time", "%v", err)
			}
			ch.NextRunTime = &t
		}
	}
	return nil
}

// readRetry reads {"attempts", "backoff", "max_backoff", "multiplier"}.
func readRetry(obj object) (*sundial.RetryPolicy, error) {
	v, ok := obj["retry"]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var ro object
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &ro) != nil {
		return nil, errInvalid("retry", "must be an object such as {\"attempts\": 3, \"backoff\": 10}")
	}
	if err := ro.unknown("retry.", "attempts", "backoff", "max_backoff", "multiplier"); err != nil {
		return nil, err
	}
	var p sundial.RetryPolicy
	if n, err := ro.integer("retry.attempts", "attempts"); err != nil {
		return nil, err
	} else if n != nil {
		if *n < 0 || *n > 100 {
			return nil, errInvalid("retry.attempts", "must be between 0 and 100, got %d", *n)
		}
		p.Attempts = *n
	}
	if d, err := ro.seconds("retry.backoff", "backoff", true); err != nil {
		return nil, err
	} else if d != nil {
		p.Backoff = *d
	}
	if d, err := ro.seconds("retry.max_backoff", "max_backoff", true); err != nil {
		return nil, err
	} else if d != nil {
		p.MaxBackoff = *d
	}
	if v, ok := ro["multiplier"]; ok && string(v) != "null" {
		if json.Unmarshal(v, &p.Multiplier) != nil || p.Multiplier < 1 || p.Multiplier > 100 {
			return nil, errInvalid("retry.multiplier", "must be a number from 1 to 100, got %s", short(v))
		}
	}
	return &p, nil
}
