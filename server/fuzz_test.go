package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// FuzzJobBodies sends any body to the job routes of both APIs: the answer
// is never a 5xx, and a refused request stores nothing.
func FuzzJobBodies(f *testing.F) {
	for _, seed := range []string{
		`{"id": "a", "task": "sundial:noop", "trigger": {"type": "cron", "hour": "9"}}`,
		`{"id": "a", "func": "sundial:noop", "trigger": "interval", "seconds": 5}`,
		`{"id": "a", "func": "sundial:noop", "trigger": {"type": "or", "triggers": [{"type": "date", "run_date": "2030-01-01"}]}}`,
		`{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 1}, "retry": {"attempts": 2, "multiplier": 1.5}, "misfire_grace_time": null}`,
		`{"id": "a", "func": "sundial:noop", "trigger": "cron", "day_of_week": "mon-fri", "next_run_time": null, "args": [1]}`,
		`{"trigger": {"type": "crontab", "expr": "*/5 * * * *"}}`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add(seed, uint8(0))
	}
	st := memory.New(memory.Options{})
	s, err := sundial.New(sundial.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	defer s.Stop()
	srv, err := server.New(server.Options{Scheduler: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/jobs"}, {"PUT", "/api/v1/jobs/a"}, {"PATCH", "/api/v1/jobs/a"},
		{"POST", "/scheduler/jobs"}, {"PATCH", "/scheduler/jobs/a"}, {"POST", "/api/v1/triggers/preview"},
	}
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		ctx := context.Background()
		// Start from one known job, so PATCH and PUT have something to change.
		_, _ = s.RemoveAllJobs(ctx)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "a", Task: sundial.NoopTask, Trigger: mustTrigger(`{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.ListJobs(ctx, sundial.JobListParams{})
		rt := routes[int(which)%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
		req.Host = "localhost" // a server without auth answers only requests for localhost
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code == http.StatusForbidden {
			t.Fatalf("refused as forbidden: the fuzz target must reach the handlers: %s", rec.Body)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			after, _ := s.ListJobs(ctx, sundial.JobListParams{})
			if len(after) != len(before) || after[0].Version != before[0].Version {
				t.Fatalf("%s %s %q refused with %d but changed the jobs", rt.method, rt.path, body, rec.Code)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("error without JSON: %v", rec.Header())
			}
		}
		if rec.Code == http.StatusOK || rec.Code == http.StatusCreated {
			if _, err := s.ListJobs(ctx, sundial.JobListParams{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func mustTrigger(def string) trigger.Trigger { return trigger.MustParse(def) }
