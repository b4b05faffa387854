package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The catch-up batch mode answers the conformance vectors exactly, except
// the four disputed ones (see disputedCatchUp in the root package's test).
func TestCatchUpBatchVectors(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "conformance", "catchup.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type expect struct {
		Run         []string `json:"run"`
		Missed      []string `json:"missed"`
		NextRunTime *string  `json:"next_run_time"`
	}
	var in []string
	var want []expect
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var c map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		var e expect
		if err := json.Unmarshal(c["expect"], &e); err != nil {
			t.Fatal(err)
		}
		var id string
		_ = json.Unmarshal(c["id"], &id)
		delete(c, "expect")
		delete(c, "note")
		line, _ := json.Marshal(c)
		in, want, ids = append(in, string(line)), append(want, e), append(ids, id)
	}
	in = append(in, `{"id":"bad","trigger":{"type":"cron","hour":"24"},"job":{},"next_run_time":"2024-01-01T00:00:00Z","now":"2024-01-01T00:00:00Z"}`)
	r := runCmd(t, strings.Join(in, "\n")+"\n", "catchup", "--batch")
	if r.err != nil {
		t.Fatalf("catchup --batch: %v", r.err)
	}
	out := lines(r.stdout)
	if len(out) != len(in) {
		t.Fatalf("%d answers for %d requests", len(out), len(in))
	}
	disputed := map[string]bool{"catchup-0050": true, "catchup-0051": true, "catchup-0082": true, "catchup-0083": true}
	agreed := 0
	for i, e := range want {
		var got expect
		if err := json.Unmarshal([]byte(out[i]), &got); err != nil {
			t.Fatal(err)
		}
		same := slices.Equal(got.Run, e.Run) && slices.Equal(got.Missed, e.Missed) &&
			(got.NextRunTime == nil) == (e.NextRunTime == nil) &&
			(got.NextRunTime == nil || *got.NextRunTime == *e.NextRunTime)
		switch {
		case same && disputed[ids[i]]:
			t.Errorf("%s: disputed vector now agrees", ids[i])
		case !same && !disputed[ids[i]]:
			t.Errorf("%s: got %s", ids[i], out[i])
		case same:
			agreed++
		}
	}
	if agreed != len(want)-len(disputed) {
		t.Errorf("%d of %d vectors agree", agreed, len(want))
	}
	var bad struct{ ID, Field, Error string }
	if err := json.Unmarshal([]byte(out[len(out)-1]), &bad); err != nil || bad.ID != "bad" || bad.Field != "hour" {
		t.Errorf("invalid trigger answer: %s", out[len(out)-1])
	}
}

func TestCatchUpHuman(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "", "catchup", "--json", `{"type":"cron","minute":"*/15"}`,
		"--next-run-time", "2024-01-01T00:00:00Z", "--now", "2024-01-01T01:07:00Z", "--coalesce=false", "--grace", "1800")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := "run:    2024-01-01T00:45:00+00:00, 2024-01-01T01:00:00+00:00\n" +
		"missed: 2024-01-01T00:00:00+00:00, 2024-01-01T00:15:00+00:00, 2024-01-01T00:30:00+00:00\n" +
		"next:   2024-01-01T01:15:00+00:00\n"
	if r.stdout != want {
		t.Errorf("got\n%s\nwant\n%s", r.stdout, want)
	}
	if r := runCmd(t, "", "catchup", "--now", "x"); r.err == nil {
		t.Error("missing flags accepted")
	}
}
