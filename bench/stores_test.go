package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStoreChildren runs the stores scenario's children on the stores that
// need no server (memory, a fresh SQLite file) at a tiny size, all at once,
// through the child-process path.
func TestStoreChildren(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	for _, s := range storeServers[:2] { // memory, sqlite
		for _, kind := range []string{"burst", "steady"} {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				storeURL, drop, err := s.fresh(ctx, "", "")
				if err != nil {
					t.Error(err)
					return
				}
				defer func() {
					if err := drop(ctx); err != nil {
						t.Error(err)
					}
				}()
				cmd := exec.CommandContext(ctx, exe, childFlag, "-scenario", kind, "-peer", "sundial",
					"-n", fmt.Sprint(n), "-dur", "1s", "-cap", "10s", "-store", storeURL, "-claim-batch", "20")
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Errorf("%s %s: %v: %s", kind, s.name, err, stderr.String())
					return
				}
				line, ok := strings.CutPrefix(strings.TrimSpace(string(out)), resultPrefix)
				if !ok {
					t.Errorf("%s %s: no result line in %q", kind, s.name, out)
					return
				}
				var res childResult
				if err := json.Unmarshal([]byte(line), &res); err != nil {
					t.Errorf("%s %s: %v", kind, s.name, err)
					return
				}
				ps := burstScenario
				if kind == "steady" {
					ps = steadyScenario
				}
				checkResult(t, ps, kind, "sundial", n, &res)
			})
		}
	}
	wg.Wait()
}

// TestStoreTables lays out results of the stores scenario as the parent
// does: the two tables, the targets and the JSON lines.
func TestStoreTables(t *testing.T) {
	t.Parallel()
	servers := storeServers[:3] // memory, sqlite, postgres
	e := &env{storeDur: 10 * time.Second, storeResults: map[storeKey]*childResult{}}
	burst := func(rate float64) *childResult {
		return &childResult{Metrics: []metric{{Name: "fires_per_s", Value: rate, Unit: "fires/s"}, {Name: "dropped", Unit: "jobs"}}}
	}
	for _, cb := range storeClaimBatches {
		e.storeResults[storeKey{"burst", 10_000, "memory", cb}] = burst(200_000)
		e.storeResults[storeKey{"burst", 10_000, "sqlite", cb}] = burst(6000)
	}
	e.storeResults[storeKey{"burst", 10_000, "postgres", 0}] = &childResult{Err: "connection refused"}
	e.storeResults[storeKey{"steady", 1000, "sqlite", 0}] = &childResult{
		Metrics: []metric{{Name: "lateness_p99", Value: 49.9, Unit: "ms"}}, Notes: []string{"a note"}}
	e.storeResults[storeKey{"steady", 1000, "postgres", 0}] = &childResult{
		Metrics: []metric{{Name: "lateness_p99", Value: 50, Unit: "ms"}}}

	var out bytes.Buffer
	r := newReport(&out)
	r.table(storeTable(e, servers, "burst", []int{10_000}, []string{"  skipped"}))
	r.table(storeTable(e, servers, "steady", []int{1000}, nil))
	tt, ok := storeTargetTable(e)
	if !ok {
		t.Fatal("no targets table")
	}
	r.table(tt)
	text := out.String()
	for _, want := range []string{
		"1000 (default)", "10000", "memory |", "200k", "6000", "error [1]", "[1] postgres: connection refused",
		"  skipped", "[1] sqlite: a note",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	var verdicts []string
	for _, row := range tt.rows {
		verdicts = append(verdicts, row[1]+" "+row[5])
	}
	// SQLite meets 5,000 fires/s; PostgreSQL has no figure; p99 must be
	// below 50 ms, so 50 is not enough.
	want := []string{"sqlite yes", "postgres ?", "sqlite yes", "postgres NO"}
	if !slices.Equal(verdicts, want) {
		t.Errorf("verdicts %q, want %q\n%s", verdicts, want, text)
	}
}

func TestMySQLServerURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"root@tcp(127.0.0.1:3306)/":          "mysql://root@127.0.0.1:3306/",
		"u:p@tcp(db:3307)/x":                 "mysql://u:p@db:3307/",
		"mysql://root@127.0.0.1:53306/":      "mysql://root@127.0.0.1:53306/",
		"mariadb://root@127.0.0.1:53306/foo": "mariadb://root@127.0.0.1:53306/foo",
	} {
		u, err := mysqlServerURL(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if in == "u:p@tcp(db:3307)/x" {
			u.Path = "/" // the database part is replaced by the fresh one
		}
		if got := u.String(); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"postgres://x@y/", "root@unix(/tmp/my.sock)/"} {
		if _, err := mysqlServerURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if s, err := parseStores("sqlite, memory,sqlite"); err != nil || !slices.Equal(s, []string{"sqlite", "memory"}) {
		t.Errorf("stores: %v, %v", s, err)
	}
	if _, err := parseStores("mongo"); err == nil {
		t.Error("unknown store accepted")
	}
}
