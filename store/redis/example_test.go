package redis_test

import (
	"context"
	"log"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/redis"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Open connects to Redis, applies the key-layout migrations under the
// prefix, and hands the scheduler a store that any number of scheduler
// processes may share: each fire is claimed by one of them, and a change
// made by any of them wakes the others at once (pub/sub).
func ExampleOpen() {
	ctx := context.Background()
	store, err := redis.Open(ctx, "redis://127.0.0.1:6379/0", redis.Options{
		Prefix:       "billing:", // keys billing:job:<id>, billing:due, …
		PollInterval: 2 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	s, err := sundial.New(sundial.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{
		ID:              "nightly-invoices",
		Task:            sundial.NoopTask,
		Trigger:         trigger.MustParse(`{"type": "cron", "hour": "2"}`),
		ReplaceExisting: true,
	}); err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer s.Shutdown(ctx)
}
