package task

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// httpSpec is a validated sundial:http job.
type httpSpec struct {
	url      *url.URL
	method   string
	header   http.Header
	body     []byte
	bodyJSON bool          // body is JSON (not given as a string)
	timeout  time.Duration // 0: the configured default
	expect   []int         // nil: any 2xx
}

// httpKwargs are the keyword arguments sundial:http takes.
var httpKwargs = []string{"url", "method", "headers", "body", "timeout", "expect"}

// reservedHeaders are set by sundial:http or by the HTTP client; a job
// cannot set them.
var reservedHeaders = []string{
	"Idempotency-Key", "X-Sundial-Job", "X-Sundial-Scheduled-At",
	"Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
	"Proxy-Connection", "Te", "Trailer", "Upgrade",
}

// parseHTTP validates a sundial:http job's arguments. Every error is a
// *sundial.JobError naming the field.
func (t *httpTask) parseHTTP(args, kwargs json.RawMessage) (*httpSpec, error) {
	if !isAbsent(args) {
		var positional []json.RawMessage
		if err := json.Unmarshal(args, &positional); err != nil || len(positional) > 0 {
			return nil, fieldError("args", "%s takes no positional arguments: give them in kwargs", HTTPTask)
		}
	}
	kw, err := decodeKwargs(kwargs, HTTPTask, httpKwargs...)
	if err != nil {
		return nil, err
	}
	spec := &httpSpec{method: http.MethodGet, header: http.Header{}}
	raw, ok := kw["url"]
	if !ok {
		return nil, fieldError("kwargs.url", "is required")
	}
	if spec.url, err = t.parseURL(raw); err != nil {
		return nil, err
	}
	if raw, ok := kw["method"]; ok {
		if spec.method, err = decodeString(raw, "kwargs.method"); err != nil {
			return nil, err
		}
		if !isToken(spec.method) {
			return nil, fieldError("kwargs.method", "%q is not an HTTP method (a token such as GET or POST)", spec.method)
		}
	}
	if raw, ok := kw["headers"]; ok {
		if err := spec.decodeHeaders(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := kw["body"]; ok {
		if jsonKind(raw) == "a string" {
			s, err := decodeString(raw, "kwargs.body")
			if err != nil {
				return nil, err
			}
			spec.body = []byte(s)
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, fieldError("kwargs.body", "is not valid JSON: %v", err)
			}
			spec.body, spec.bodyJSON = buf.Bytes(), true
		}
	}
	if raw, ok := kw["timeout"]; ok {
		if spec.timeout, err = decodeTimeout(raw, "kwargs.timeout"); err != nil {
			return nil, err
		}
	}
	if raw, ok := kw["expect"]; ok {
		if spec.expect, err = decodeExpect(raw); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// parseURL checks kwargs.url: an absolute http or https URL whose host,
// if it is an address, is an allowed destination.
func (t *httpTask) parseURL(raw json.RawMessage) (*url.URL, error) {
	const field = "kwargs.url"
	s, err := decodeString(raw, field)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fieldError(field, "is not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fieldError(field, "must be an http or https URL, got scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fieldError(field, "has no host")
	}
	if err := t.guard.checkHost(u.Hostname()); err != nil {
		return nil, fieldError(field, "%s", err.Error())
	}
	return u, nil
}

// decodeHeaders checks kwargs.headers: names are tokens, not reserved and
// not repeated (names are case-insensitive), values hold no control
// characters but tab.
func (spec *httpSpec) decodeHeaders(raw json.RawMessage) error {
	names, values, err := decodeStringMap(raw, "kwargs.headers")
	if err != nil {
		return err
	}
	for _, name := range names {
		field := "kwargs.headers." + name
		key := http.CanonicalHeaderKey(name)
		switch {
		case !isToken(name):
			return fieldError(field, "is not a header name")
		case containsFold(reservedHeaders, key):
			return fieldError(field, "is set by sundial:http or the HTTP client; a job cannot set it")
		case spec.header.Get(key) != "":
			return fieldError(field, "is given twice (header names are case-insensitive)")
		case strings.ContainsFunc(values[name], func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			return fieldError(field, "contains a control character")
		}
		spec.header[key] = []string{values[name]}
	}
	return nil
}

// decodeExpect checks kwargs.expect: a non-empty array of status codes.
func decodeExpect(raw json.RawMessage) ([]int, error) {
	const field = "kwargs.expect"
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fieldError(field, "must be an array of status codes, got %s", jsonKind(raw))
	}
	if len(elems) == 0 {
		return nil, fieldError(field, "is empty: list the status codes that mean success, or leave it out for any 2xx")
	}
	codes := make([]int, len(elems))
	for i, e := range elems {
		if err := json.Unmarshal(e, &codes[i]); err != nil || codes[i] < 100 || codes[i] > 599 {
			return nil, fieldError(fmt.Sprintf("%s[%d]", field, i), "must be a status code from 100 to 599, got %s", e)
		}
	}
	return codes, nil
}

// isToken reports whether s is an RFC 9110 token (a method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}
