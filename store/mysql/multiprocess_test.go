package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/mysql"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// Four processes share one database.
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, storetest.MultiProcessConfig{
		NewURL: func(t *testing.T) string { return testenv.MySQLDSN(t) },
		Open: func(ctx context.Context, dsn string) (sundial.Store, error) {
			return mysql.Open(ctx, dsn, mysql.Options{PollInterval: 100 * time.Millisecond})
		},
	})
}

func TestClaimRace(t *testing.T) {
	st, err := mysql.Open(t.Context(), testenv.MySQLDSN(t), mysql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.ClaimRace(t, st, 0, 0)
}
