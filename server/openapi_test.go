package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// apiDoc is the OpenAPI document, parsed once, with a compiled schema per
// (path, method, status) as they are asked for.
type apiDoc struct {
	doc   map[string]any
	comp  *jsonschema.Compiler
	mux   *http.ServeMux // doc paths → their pattern, to match requests
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

var (
	docOnce sync.Once
	theDoc  *apiDoc
	docErr  error
)

func loadDoc() (*apiDoc, error) {
	docOnce.Do(func() {
		b, err := os.ReadFile("openapi.json")
		if err != nil {
			docErr = err
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			docErr = err
			return
		}
		d := &apiDoc{comp: jsonschema.NewCompiler(), mux: http.NewServeMux(), cache: map[string]*jsonschema.Schema{}}
		_ = json.Unmarshal(b, &d.doc)
		if err := d.comp.AddResource("openapi.json", inst); err != nil {
			docErr = err
			return
		}
		for p := range d.doc["paths"].(map[string]any) {
			d.mux.Handle("/api/v1"+p, http.NotFoundHandler())
		}
		theDoc = d
	})
	return theDoc, docErr
}

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// check validates one answer of the native API against the document.
func (d *apiDoc) check(method, path string, status int, contentType string, body []byte) string {
	req := httptest.NewRequest(method, path, nil)
	_, pattern := d.mux.Handler(req)
	if pattern == "" {
		return "path not in the document"
	}
	docPath := strings.TrimPrefix(pattern, "/api/v1")
	ops, _ := d.doc["paths"].(map[string]any)[docPath].(map[string]any)
	m := strings.ToLower(method)
	if m == "head" {
		m = "get"
	}
	op, ok := ops[m].(map[string]any)
	if !ok {
		if status == http.StatusMethodNotAllowed {
			return ""
		}
		return "method not in the document"
	}
	code := strconv.Itoa(status)
	resp, ok := op["responses"].(map[string]any)[code].(map[string]any)
	if !ok {
		return "status " + code + " not documented"
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(body)) != 0 {
			return "a body where the document says none"
		}
		return ""
	}
	if _, ok := content["application/json"]; !ok {
		return ""
	}
	if contentType != "application/json" {
		return "content type " + contentType + ", documented application/json"
	}
	ref := "openapi.json#/paths/" + pointerEscape(docPath) + "/" + m + "/responses/" + code + "/content/application~1json/schema"
	d.mu.Lock()
	sch, ok := d.cache[ref]
	if !ok {
		var err error
		if sch, err = d.comp.Compile(ref); err != nil {
			d.mu.Unlock()
			return "schema: " + err.Error()
		}
		d.cache[ref] = sch
	}
	d.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return "body is not JSON: " + err.Error()
	}
	if err := sch.Validate(inst); err != nil {
		return err.Error()
	}
	return ""
}

// validating wraps the server so every answer of the native API in every
// test is checked against the OpenAPI document.
func validating(t *testing.T, h http.Handler) http.Handler {
	d, err := loadDoc()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") || r.URL.Path == "/api/v1/events" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if msg := d.check(r.Method, r.URL.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); msg != "" {
			t.Errorf("OpenAPI: %s %s → %d: %s\nbody: %.500s", r.Method, r.URL.Path, rec.Code, msg, rec.Body.Bytes())
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// The document and the handlers list the same operations.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	d, err := loadDoc()
	if err != nil {
		t.Fatal(err)
	}
	var fromRoutes, fromDoc []string
	for _, rt := range e.srv.Routes() {
		if p, ok := strings.CutPrefix(rt.Path, "/api/v1"); ok {
			fromRoutes = append(fromRoutes, rt.Method+" "+p)
			op, _ := d.doc["paths"].(map[string]any)[p].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
			if op != nil && op["x-sundial-role"] != rt.Role.String() {
				t.Errorf("%s %s: document says role %v, handler needs %s", rt.Method, p, op["x-sundial-role"], rt.Role)
			}
		}
	}
	for p, ops := range d.doc["paths"].(map[string]any) {
		for m := range ops.(map[string]any) {
			if m != "parameters" {
				fromDoc = append(fromDoc, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(fromRoutes)
	slices.Sort(fromDoc)
	if !slices.Equal(fromRoutes, fromDoc) {
		t.Fatalf("routes and document differ:\nroutes %v\ndoc    %v", fromRoutes, fromDoc)
	}
	// The document is served.
	r := e.must(200, "GET", "/api/v1/openapi.json", "")
	if m := r.json(t); m["openapi"] != "3.1.0" {
		t.Fatalf("served document: %.100s", r.body)
	}
}

// The validator itself rejects a wrong answer.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	t.Parallel()
	d, err := loadDoc()
	if err != nil {
		t.Fatal(err)
	}
	if msg := d.check("GET", "/api/v1/jobs/x", 200, "application/json", []byte(`{"id": "x"}`)); msg == "" {
		t.Fatal("a job without its required fields passed")
	}
	if msg := d.check("GET", "/api/v1/jobs/x", 418, "application/json", []byte(`{}`)); msg == "" {
		t.Fatal("an undocumented status passed")
	}
	if msg := d.check("GET", "/api/v1/nowhere", 200, "application/json", []byte(`{}`)); msg == "" {
		t.Fatal("an undocumented path passed")
	}
}
