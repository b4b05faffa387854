package server

import (
	"encoding/json"
	"errors"

	"github.com/sundial-scheduler/sundial"
)

// ParseCompatJob reads a job definition in Flask-APScheduler's form (as
// POSTed to the compatible API, or listed in its JOBS setting) into a
// JobSpec for s: the same checks and defaults as the API. Errors name the
// field; see ErrorField.
func ParseCompatJob(s *sundial.Scheduler, def []byte) (sundial.JobSpec, error) {
	var obj object
	if err := json.Unmarshal(def, &obj); err != nil || obj == nil {
		return sundial.JobSpec{}, &apiError{Code: codeBadJSON, Message: "a job must be a mapping of keys such as id, func, trigger"}
	}
	srv := &Server{s: s}
	return srv.compatSpec(obj)
}

// ErrorField returns the request field an error of this package blames
// ("" for none) and the message without it.
func ErrorField(err error) (field, msg string) {
	var ae *apiError
	if errors.As(err, &ae) {
		m := ae.Message
		if ae.Field != "" && len(m) > len(ae.Field)+2 && m[:len(ae.Field)+2] == ae.Field+": " {
			m = m[len(ae.Field)+2:]
		}
		return ae.Field, m
	}
	ae = toAPIError(err, "")
	if ae.Code == codeInvalid {
		return ErrorField(ae)
	}
	return "", err.Error()
}
