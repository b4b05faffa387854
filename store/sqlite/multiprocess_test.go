package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/sqlite"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// Four processes share one database file.
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, storetest.MultiProcessConfig{
		NewURL: func(t *testing.T) string { return filepath.Join(t.TempDir(), "sundial.db") },
		Open: func(ctx context.Context, path string) (sundial.Store, error) {
			return sqlite.Open(ctx, path, sqlite.Options{PollInterval: 100 * time.Millisecond})
		},
	})
}

func TestClaimRace(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sundial.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.ClaimRace(t, st, 0, 0)
}
