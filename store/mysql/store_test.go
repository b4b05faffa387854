package mysql_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/mysql"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// pollInterval keeps Watch quick in tests.
const pollInterval = 20 * time.Millisecond

// quiet drops the store's logs (tests that check them pass their own).
var quiet = slog.New(slog.DiscardHandler)

// open opens a store on dsn that is closed when the test ends.
func open(t testing.TB, dsn string) *mysql.Store {
	t.Helper()
	return openWith(t, dsn, mysql.Options{})
}

func openWith(t testing.TB, dsn string, opts mysql.Options) *mysql.Store {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = pollInterval
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := mysql.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sundial.Store { return open(t, testenv.MySQLDSN(t)) })
}
