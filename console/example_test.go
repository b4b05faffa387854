package console_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/console"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Mount the console at "/" beside the server: the server keeps its own
// paths (/api/, the compatible API's prefix, health checks, metrics) and
// the console gets the rest.
func Example() {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{}), Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer s.Stop()
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "hello", Name: "Say hello", Task: "sundial:noop",
		Trigger: trigger.MustParse(`{"type": "cron", "hour": "9", "timezone": "Europe/Berlin"}`)}); err != nil {
		log.Fatal(err)
	}

	// No Auth: loopback only, every visitor is an anonymous admin.
	srv, err := server.New(server.Options{Scheduler: s, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	con, err := console.New(console.Options{Scheduler: s, Server: srv, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/scheduler", "/scheduler/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, srv)
	}
	mux.Handle("/", con)

	ts := httptest.NewServer(mux)
	defer ts.Close()
	res, err := http.Get(ts.URL + "/jobs")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	fmt.Println(strings.Contains(string(page), "Say hello"), strings.Contains(string(page), "at 09:00 (Europe/Berlin)"))
	// Output:
	// 200 text/html; charset=utf-8
	// true true
}
