package postgres_test

import (
	"context"
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/postgres"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// Four processes share one database.
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, storetest.MultiProcessConfig{
		NewURL: func(t *testing.T) string { return testenv.PostgresURL(t) },
		Open: func(ctx context.Context, url string) (sundial.Store, error) {
			return postgres.Open(ctx, url, postgres.Options{})
		},
	})
}

func TestClaimRace(t *testing.T) {
	st, err := postgres.Open(t.Context(), testenv.PostgresURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.ClaimRace(t, st, 0, 0)
}
