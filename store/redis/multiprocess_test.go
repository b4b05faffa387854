package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/redis"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// Four processes share one key prefix. The store's name for the children
// is "URL prefix".
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, storetest.MultiProcessConfig{
		NewURL: func(t *testing.T) string {
			u, prefix := testenv.RedisURL(t)
			return u + " " + prefix
		},
		Open: func(ctx context.Context, name string) (sundial.Store, error) {
			u, prefix, _ := strings.Cut(name, " ")
			return redis.Open(ctx, u, redis.Options{Prefix: prefix, PollInterval: 100 * time.Millisecond})
		},
	})
}

func TestClaimRace(t *testing.T) {
	u, prefix := testenv.RedisURL(t)
	st, err := redis.Open(t.Context(), u, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.ClaimRace(t, st, 0, 0)
}
