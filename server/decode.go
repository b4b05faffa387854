package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// object is a JSON object read from a request body, with its keys checked
// one by one so every error names its field.
type object map[string]json.RawMessage

// readObject reads a request body that must be a JSON object. An empty body
// is an empty object when allowEmpty.
func readObject(r *http.Request, allowEmpty bool) (object, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
				Message: "the request body is larger than the limit of " + byteSize(tooBig.Limit)}
		}
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeBadJSON, Message: "the request body could not be read: " + err.Error()}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 && allowEmpty {
		return object{}, nil
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeBadJSON, Message: "the request body must be a JSON object"}
	}
	var obj object
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&obj); err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeBadJSON, Message: "the request body is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeBadJSON, Message: "the request body holds more than one JSON value"}
	}
	return obj, nil
}

func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return itoa(n>>20) + " MiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// has reports whether the key is present (even as null).
func (o object) has(key string) bool {
	_, ok := o[key]
	return ok
}

// isNull reports whether the key is present with the value null.
func (o object) isNull(key string) bool {
	v, ok := o[key]
	return ok && string(v) == "null"
}

// unknown returns an error naming the first key (sorted) not in allowed.
func (o object) unknown(prefix string, allowed ...string) error {
	var bad []string
	for k := range o {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return errInvalid(prefix+bad[0], "is not a known field; known: %s", strings.Join(allowed, ", "))
}

// str reads an optional string; null counts as absent.
func (o object) str(field, key string) (string, bool, error) {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, errInvalid(field, "must be a string, got %s", short(v))
	}
	return s, true, nil
}

// boolean reads an optional boolean; null counts as absent.
func (o object) boolean(field, key string) (*bool, error) {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, errInvalid(field, "must be true or false, got %s", short(v))
	}
	return &b, nil
}

// integer reads an optional whole number; null counts as absent.
func (o object) integer(field, key string) (*int, error) {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return nil, errInvalid(field, "must be a whole number, got %s", short(v))
	}
	n := int(f)
	return &n, nil
}

// seconds reads an optional duration given in seconds (a number > 0
// unless zeroOK); null counts as absent.
func (o object) seconds(field, key string, zeroOK bool) (*time.Duration, error) {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || math.IsInf(f, 0) || f > 1e9 {
		return nil, errInvalid(field, "must be a number of seconds, got %s", short(v))
	}
	if f < 0 || (f == 0 && !zeroOK) {
		return nil, errInvalid(field, "must be more than 0 seconds, got %s", short(v))
	}
	d := time.Duration(f * float64(time.Second))
	return &d, nil
}

// strings reads an optional array of strings; null counts as absent.
func (o object) strings(field, key string) (*[]string, error) {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var s []string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, errInvalid(field, "must be an array of strings, got %s", short(v))
	}
	if s == nil {
		s = []string{}
	}
	return &s, nil
}

// short quotes a JSON value for an error message, cut to a readable size.
func short(v json.RawMessage) string {
	s := string(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
