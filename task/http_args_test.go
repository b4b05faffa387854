package task

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestHTTPValidator(t *testing.T) {
	t.Parallel()
	_, validate := HTTP(HTTPConfig{Allow: []string{"10.1.0.0/16"}})
	for _, tc := range []struct {
		name         string
		args, kwargs string
		field        string // "" for valid
		reason       string // a part of the reason
	}{
		{"minimal", ``, `{"url": "https://example.com/hook"}`, "", ""},
		{"everything", `[]`, `{"url": "http://example.com:8080/x?y=1", "method": "PATCH", "headers": {"Authorization": "Bearer x", "X-A": "b\tc"},
			"body": {"a": [1, 2]}, "timeout": 2.5, "expect": [200, 409]}`, "", ""},
		{"string body", `null`, `{"url": "https://example.com", "method": "POST", "body": "a=1"}`, "", ""},
		{"allowed private", ``, `{"url": "http://10.1.2.3/"}`, "", ""},
		{"upper-case scheme", ``, `{"url": "HTTPS://example.com"}`, "", ""},
		{"host name decided when dialled", ``, `{"url": "http://internal.example"}`, "", ""},

		{"positional args", `["https://example.com"]`, `{"url": "https://example.com"}`, "args", "no positional arguments"},
		{"kwargs not object", ``, `"https://example.com"`, "kwargs", "JSON object"},
		{"unknown key", ``, `{"url": "https://example.com", "proxy": "http://p"}`, "kwargs.proxy", "not an argument of sundial:http"},
		{"url missing", ``, `{"method": "GET"}`, "kwargs.url", "is required"},
		{"url null", ``, `{"url": null}`, "kwargs.url", "is required"},
		{"url type", ``, `{"url": 5}`, "kwargs.url", "must be a string"},
		{"url unparsable", ``, `{"url": "http://[::1"}`, "kwargs.url", "is not a URL"},
		{"url file", ``, `{"url": "file:///etc/passwd"}`, "kwargs.url", `scheme "file"`},
		{"url gopher", ``, `{"url": "gopher://example.com/"}`, "kwargs.url", `scheme "gopher"`},
		{"url relative", ``, `{"url": "/hooks"}`, "kwargs.url", `scheme ""`},
		{"url no host", ``, `{"url": "http:///x"}`, "kwargs.url", "has no host"},
		{"url opaque", ``, `{"url": "http:example.com"}`, "kwargs.url", "has no host"},
		{"url loopback", ``, `{"url": "http://127.0.0.1:8080/"}`, "kwargs.url", "is loopback"},
		{"url localhost", ``, `{"url": "http://localhost/"}`, "kwargs.url", "is loopback"},
		{"url metadata", ``, `{"url": "http://169.254.169.254/latest/meta-data/"}`, "kwargs.url", "link-local"},
		{"url mapped metadata", ``, `{"url": "http://[::ffff:169.254.169.254]/"}`, "kwargs.url", "link-local"},
		{"url ULA", ``, `{"url": "http://[fd00::1]/"}`, "kwargs.url", "private"},
		{"url private not in allow", ``, `{"url": "http://10.2.0.1/"}`, "kwargs.url", "private"},
		{"url unspecified", ``, `{"url": "http://0.0.0.0/"}`, "kwargs.url", "unspecified"},
		{"url decimal", ``, `{"url": "http://2852039166/"}`, "kwargs.url", "legacy address form"},
		{"url hex", ``, `{"url": "http://0x7f.1/"}`, "kwargs.url", "legacy address form"},
		{"method type", ``, `{"url": "https://example.com", "method": 1}`, "kwargs.method", "must be a string"},
		{"method empty", ``, `{"url": "https://example.com", "method": ""}`, "kwargs.method", "not an HTTP method"},
		{"method space", ``, `{"url": "https://example.com", "method": "GET /x HTTP/1.1\r\n"}`, "kwargs.method", "not an HTTP method"},
		{"headers type", ``, `{"url": "https://example.com", "headers": ["a"]}`, "kwargs.headers", "object of strings"},
		{"header value type", ``, `{"url": "https://example.com", "headers": {"X-N": 1}}`, "kwargs.headers.X-N", "must be a string"},
		{"header name", ``, `{"url": "https://example.com", "headers": {"X A": "b"}}`, "kwargs.headers.X A", "not a header name"},
		{"header CRLF", ``, `{"url": "https://example.com", "headers": {"X-A": "b\r\nX-B: c"}}`, "kwargs.headers.X-A", "control character"},
		{"header NUL", ``, `{"url": "https://example.com", "headers": {"X-A": "b\u0000"}}`, "kwargs.headers.X-A", "control character"},
		{"header twice", ``, `{"url": "https://example.com", "headers": {"x-a": "1", "X-A": "2"}}`, "kwargs.headers.x-a", "given twice"},
		{"idempotency key", ``, `{"url": "https://example.com", "headers": {"idempotency-key": "k"}}`, "kwargs.headers.idempotency-key", "cannot set"},
		{"sundial header", ``, `{"url": "https://example.com", "headers": {"X-Sundial-Job": "other"}}`, "kwargs.headers.X-Sundial-Job", "cannot set"},
		{"host header", ``, `{"url": "https://example.com", "headers": {"Host": "internal"}}`, "kwargs.headers.Host", "cannot set"},
		{"timeout type", ``, `{"url": "https://example.com", "timeout": "5s"}`, "kwargs.timeout", "number of seconds"},
		{"timeout zero", ``, `{"url": "https://example.com", "timeout": 0}`, "kwargs.timeout", "more than 0"},
		{"expect type", ``, `{"url": "https://example.com", "expect": 200}`, "kwargs.expect", "array of status codes"},
		{"expect empty", ``, `{"url": "https://example.com", "expect": []}`, "kwargs.expect", "is empty"},
		{"expect range", ``, `{"url": "https://example.com", "expect": [200, 600]}`, "kwargs.expect[1]", "from 100 to 599"},
		{"expect fraction", ``, `{"url": "https://example.com", "expect": [200.5]}`, "kwargs.expect[0]", "from 100 to 599"},
		{"expect string", ``, `{"url": "https://example.com", "expect": ["200"]}`, "kwargs.expect[0]", "from 100 to 599"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validate(json.RawMessage(tc.args), json.RawMessage(tc.kwargs))
			checkFieldError(t, err, tc.field, tc.reason)
		})
	}
}

func TestHTTPParseResult(t *testing.T) {
	t.Parallel()
	task := newHTTPTask(HTTPConfig{})
	spec, err := task.parseHTTP(nil, json.RawMessage(`{"url": "https://example.com/x", "headers": {"x-a": "1"}, "body": {"b": 1,  "a": 2}, "timeout": 0.25, "expect": [202]}`))
	if err != nil {
		t.Fatal(err)
	}
	if spec.method != "GET" || spec.header.Get("X-A") != "1" || string(spec.body) != `{"b":1,"a":2}` || !spec.bodyJSON ||
		spec.timeout != 250*time.Millisecond || !slices.Equal(spec.expect, []int{202}) {
		t.Errorf("spec = %+v", spec)
	}
}
