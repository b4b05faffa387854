package postgres_test

import (
	"sync"
	"testing"

	"github.com/sundial-scheduler/sundial/store/postgres"
)

// schemaVersions returns the versions recorded in sundial_schema.
func schemaVersions(t *testing.T, url string) []int32 {
	t.Helper()
	rows, err := connect(t, url).Query(t.Context(), `SELECT version FROM sundial_schema ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int32
	for rows.Next() {
		var v int32
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, postgres.Options{})
	want := schemaVersions(t, url)
	if len(want) == 0 || want[0] != 1 {
		t.Fatalf("sundial_schema after Open = %v, want versions from 1", want)
	}
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	open(t, url, postgres.Options{}) // a second process opening the database
	if got := schemaVersions(t, url); len(got) != len(want) {
		t.Errorf("sundial_schema after migrating again = %v, want %v", got, want)
	}
}

// Several processes starting at once on an empty database all succeed and
// apply each migration once.
func TestMigrateConcurrentOpens(t *testing.T) {
	t.Parallel()
	url := setup(t)
	const opens = 6
	var wg sync.WaitGroup
	errs := make([]error, opens)
	stores := make([]*postgres.Store, opens)
	start := make(chan struct{})
	for i := range opens {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), url, postgres.Options{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		stores[i].Close()
	}
	got := schemaVersions(t, url)
	for i, v := range got {
		if v != int32(i+1) {
			t.Fatalf("sundial_schema = %v, want 1, 2, … each once", got)
		}
	}
}
