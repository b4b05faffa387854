package sqlq

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sundial-scheduler/sundial"
)

func TestRunListQuery(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q, args := RunListQuery("id", sundial.RunListParams{JobID: "j", Status: sundial.RunFailed, From: from, BeforeSeq: 9, Limit: 5},
		func(t time.Time) any { return t.Unix() })
	want := "SELECT id FROM sundial_runs WHERE job_id = ? AND status = ? AND scheduled_at >= ? AND seq < ? ORDER BY seq DESC LIMIT ?"
	if q != want {
		t.Errorf("query = %q\nwant    %q", q, want)
	}
	if !slices.Equal(args, []any{"j", "failed", from.Unix(), int64(9), 5}) {
		t.Errorf("args = %v", args)
	}
	if q, args := RunListQuery("id", sundial.RunListParams{}, nil); q != "SELECT id FROM sundial_runs ORDER BY seq DESC" || len(args) != 0 {
		t.Errorf("unfiltered = %q %v", q, args)
	}
	if got := Dollar("a = ? AND b < ? LIMIT ?"); got != "a = $1 AND b < $2 LIMIT $3" {
		t.Errorf("Dollar = %q", got)
	}
}

func TestMigrations(t *testing.T) {
	ms, err := Migrations(fstest.MapFS{
		"m/0010_b.sql": {Data: []byte("B")},
		"m/0002_a.sql": {Data: []byte("A")},
	}, "m/*.sql")
	if err != nil || len(ms) != 2 || ms[0].Version != 2 || ms[0].Name != "0002_a" || ms[1].Body != "B" {
		t.Fatalf("Migrations = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no version": {"m/init.sql": {}},
		"twice":      {"m/0001_a.sql": {}, "m/01_b.sql": {}},
		"none":       {},
	} {
		if _, err := Migrations(fsys, "m/*.sql"); err == nil || strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%s: err = %v, want an error", name, err)
		}
	}
}
