package task

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// fieldError returns the *sundial.JobError that blames one field.
func fieldError(field, format string, args ...any) *sundial.JobError {
	return &sundial.JobError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// forJob names the job in a *sundial.JobError returned at run time, where
// the handler knows the job id and the validator does not.
func forJob(err error, jobID string) error {
	if je, ok := err.(*sundial.JobError); ok && je.JobID == "" {
		c := *je
		c.JobID = jobID
		return &c
	}
	return err
}

// isAbsent reports whether a JSON argument was left out: empty or null.
func isAbsent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// jsonKind names the JSON type of a value, for error messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// decodeKwargs decodes the kwargs object and refuses keys outside known,
// naming the first unknown key (in sorted order) and listing the others.
func decodeKwargs(raw json.RawMessage, task string, known ...string) (map[string]json.RawMessage, error) {
	kw := map[string]json.RawMessage{}
	if isAbsent(raw) {
		return kw, nil
	}
	if err := json.Unmarshal(raw, &kw); err != nil {
		return nil, fieldError("kwargs", "must be a JSON object, got %s", jsonKind(raw))
	}
	var unknown []string
	for k := range kw {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		for k, v := range kw {
			if isAbsent(v) {
				delete(kw, k) // null reads as "not given"
			}
		}
		return kw, nil
	}
	slices.Sort(unknown)
	reason := fmt.Sprintf("is not an argument of %s (it takes %s)", task, strings.Join(known, ", "))
	if len(unknown) > 1 {
		reason += fmt.Sprintf("; also unknown: %s", strings.Join(unknown[1:], ", "))
	}
	return nil, fieldError("kwargs."+unknown[0], "%s", reason)
}

// decodeString decodes a JSON string argument.
func decodeString(raw json.RawMessage, field string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldError(field, "must be a string, got %s", jsonKind(raw))
	}
	return s, nil
}

// decodeStrings decodes a JSON array of strings, naming the element at
// fault ("args[2]").
func decodeStrings(raw json.RawMessage, field string) ([]string, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fieldError(field, "must be an array of strings, got %s", jsonKind(raw))
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		s, err := decodeString(e, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// decodeStringMap decodes a JSON object of strings, naming the entry at
// fault ("kwargs.env.HOME"). Names are returned sorted, so every use of the
// map is deterministic.
func decodeStringMap(raw json.RawMessage, field string) (names []string, values map[string]string, err error) {
	var elems map[string]json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		return nil, nil, fieldError(field, "must be an object of strings, got %s", jsonKind(raw))
	}
	values = make(map[string]string, len(elems))
	for k, e := range elems {
		s, err := decodeString(e, field+"."+k)
		if err != nil {
			return nil, nil, err
		}
		values[k] = s
		names = append(names, k)
	}
	slices.Sort(names)
	return names, values, nil
}

// maxTimeoutSeconds keeps a timeout within time.Duration (about 292 years).
const maxTimeoutSeconds = math.MaxInt64 / float64(time.Second)

// decodeTimeout decodes a timeout given in seconds: a number > 0.
func decodeTimeout(raw json.RawMessage, field string) (time.Duration, error) {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err != nil {
		return 0, fieldError(field, "must be a number of seconds, got %s", jsonKind(raw))
	}
	if secs >= maxTimeoutSeconds {
		return 0, fieldError(field, "%g seconds is too long", secs)
	}
	d := time.Duration(secs * float64(time.Second))
	if d <= 0 {
		return 0, fieldError(field, "must be more than 0 seconds, got %g", secs)
	}
	return d, nil
}
