package postgres_test

import (
	"context"
	"log"
	"os"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Open connects, applies the schema migrations, and hands the scheduler a
// store that any number of nodes may share: each fire is claimed by one of
// them, and a change made by any node or by plain SQL wakes them all.
func ExampleOpen() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	s, err := sundial.New(sundial.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{
		ID:              "nightly-report",
		Task:            sundial.NoopTask,
		Trigger:         trigger.MustParse(`{"type": "cron", "hour": "2"}`),
		ReplaceExisting: true,
	}); err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer s.Stop()
}
