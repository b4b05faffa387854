package postgres_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/postgres"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sundial.Store { return newStore(t) })
}

// setup returns the URL of a fresh database.
func setup(t testing.TB) string {
	t.Helper()
	return testenv.PostgresURL(t)
}

// newStore opens a store on a fresh database.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	return open(t, setup(t), postgres.Options{})
}

// open opens a store on url with a test logger and closes it when the
// test ends.
func open(t testing.TB, url string, opts postgres.Options) *postgres.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s, err := postgres.Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connect returns a plain connection to url, as another program would
// use, closed when the test ends.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
