package sqlite

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// quiet discards the store's log lines in tests that do not read them.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testOptions are short intervals for tests.
func testOptions() Options {
	return Options{PollInterval: 20 * time.Millisecond, Logger: quiet}
}

// openFile opens a store on path, closed when the test ends.
func openFile(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// setup opens a store on a new file of the test's own.
func setup(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sundial.db")
	return openFile(t, path, testOptions()), path
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) sundial.Store {
		s, _ := setup(t)
		return s
	})
}

func TestStoreInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) sundial.Store {
		return openFile(t, ":memory:", testOptions())
	})
}
