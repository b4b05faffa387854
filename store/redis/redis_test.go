package redis

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sundial.Store { return setup(t, testPrefix(t)) })
}

// testPrefix returns the test server's URL in url and a key prefix of the
// test's own.
func testPrefix(t testing.TB) Options {
	t.Helper()
	_, prefix := testenv.RedisURL(t)
	return Options{Prefix: prefix, PollInterval: 20 * time.Millisecond, Logger: quietLogger()}
}

// testURL returns the test server's URL.
func testURL(t testing.TB) string {
	t.Helper()
	u, _ := testenv.RedisURL(t)
	return u
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// setup opens a store on the test server, closed when the test ends.
func setup(t testing.TB, opts Options) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, testURL(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
