package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// apiError is an error answered to the client: a status, a stable code
// scripts can branch on, a message for people, and the request field to
// blame when there is one.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// Error codes. They are part of the API: never rename one.
const (
	codeInvalid        = "invalid"             // a field is wrong; Field names it
	codeBadJSON        = "bad_json"            // the body is not the JSON asked for
	codeNotFound       = "not_found"           // no such job, run or route
	codeConflict       = "conflict"            // a job with that id exists
	codeMethod         = "method_not_allowed"  // the route takes other methods
	codeUnauthorized   = "unauthorized"        // no or wrong credentials
	codeForbidden      = "forbidden"           // the role may not do this
	codeTooMany        = "too_many_failures"   // too many failed sign-ins from this address
	codePrecondition   = "precondition_failed" // If-Match does not match the job
	codeNotRunning     = "not_running"         // the scheduler is stopped
	codeAlreadyRunning = "already_running"     // the scheduler is running
	codeFinished       = "schedule_finished"   // the trigger has no fire time left
	codeTooLarge       = "too_large"           // the body is over the limit
	codeUnavailable    = "unavailable"         // the store did not answer
	codeInternal       = "internal"            // a bug or an unexpected store error
	codeCSRF           = "csrf"                // a change without the session's CSRF token, or from another site
)

func errInvalid(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalid, Field: field, Message: fieldMessage(field, fmt.Sprintf(format, args...))}
}

func fieldMessage(field, reason string) string {
	if field == "" {
		return reason
	}
	return field + ": " + reason
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: fmt.Sprintf(format, args...)}
}

// toAPIError maps an error from the scheduler or a store to what the
// client is told. Field names are given relative to the request body;
// prefix is put in front of trigger fields when the trigger sits under a
// key ("trigger." in the native API, "" in the compatible API where its
// keys are at the top level).
func toAPIError(err error, triggerPrefix string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var je *sundial.JobError
	var fe *trigger.FieldError
	switch {
	case errors.As(err, &fe):
		return errInvalid(triggerPrefix+fe.Field, "%s", fieldReason(fe))
	case errors.As(err, &je):
		field := je.Field
		if field == "trigger" && errors.As(je.Err, &fe) {
			return errInvalid(triggerPrefix+fe.Field, "%s", fieldReason(fe))
		}
		return errInvalid(field, "%s", je.Reason)
	case errors.Is(err, trigger.ErrInvalid):
		return errInvalid("trigger", "%v", err)
	case errors.Is(err, sundial.ErrJobNotFound):
		return errNotFound("job not found")
	case errors.Is(err, sundial.ErrRunNotFound):
		return errNotFound("run not found")
	case errors.Is(err, sundial.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: "a job with this id already exists", Field: "id"}
	case errors.Is(err, sundial.ErrNotRunning), errors.Is(err, sundial.ErrShutdown):
		return &apiError{Status: http.StatusConflict, Code: codeNotRunning, Message: "the scheduler is not running"}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "the store did not answer in time"}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error; see the server log"}
}

// fieldReason is a trigger error's text without its field name, which the
// API reports separately.
func fieldReason(fe *trigger.FieldError) string {
	if fe.Value == "" {
		return fe.Reason
	}
	b, _ := json.Marshal(fe.Value)
	return string(b) + " " + fe.Reason
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":"internal","message":"response could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
