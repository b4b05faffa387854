package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// apiGet reads a native API answer in-process, as the viewer making r (the
// same cookie, host and address), so what a page shows passes the same
// checks as the API and is in the API's shape: the job form gets the job
// with its ETag for If-Match, the audit page the server's audit log.
func (c *Console) apiGet(ctx context.Context, r *http.Request, path string, out any) (http.Header, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, err
	}
	sub := r.Clone(ctx)
	sub.Method = http.MethodGet
	sub.URL = u
	sub.RequestURI = u.RequestURI()
	sub.Body = http.NoBody
	sub.ContentLength = 0
	sub.Header = http.Header{}
	for _, k := range []string{"Cookie", "Authorization"} {
		if v := r.Header.Values(k); len(v) > 0 {
			sub.Header[k] = v
		}
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	c.srv.ServeHTTP(rec, sub)
	if rec.status != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		if e.Message == "" {
			e.Message = http.StatusText(rec.status)
		}
		if rec.status == http.StatusNotFound || rec.status == http.StatusForbidden || rec.status == http.StatusBadRequest {
			return nil, &httpError{status: rec.status, msg: e.Message}
		}
		return nil, fmt.Errorf("GET %s: %d %s", path, rec.status, e.Message)
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return nil, fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return rec.header, nil
}

// recorder is the http.ResponseWriter of an in-process API call.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.wrote = true
	return w.body.Write(b)
}
