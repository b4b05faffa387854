package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// batchAnswer is one output line of "sundial next --batch", either kind.
type batchAnswer struct {
	ID    any       `json:"id"`
	Fires *[]string `json:"fires"`
	Done  *bool     `json:"done"`
	Error string    `json:"error"`
	Field string    `json:"field"`
}

// runBatchLines runs "sundial next --batch" over the input lines and decodes
// one answer per output line.
func runBatchLines(t *testing.T, in []string) (raw []string, answers []batchAnswer) {
	t.Helper()
	r := runCmd(t, strings.Join(in, "\n")+"\n", "next", "--batch")
	if r.err != nil {
		t.Fatalf("next --batch: %v (stderr %q)", r.err, r.stderr)
	}
	for _, line := range lines(r.stdout) {
		var a batchAnswer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("answer %q: %v", line, err)
		}
		raw = append(raw, line)
		answers = append(answers, a)
	}
	return raw, answers
}

func TestBatch(t *testing.T) {
	t.Parallel()
	in := []string{
		`{"id":"ok","trigger":{"type":"cron","hour":"9","timezone":"UTC"},"start":"2024-01-01T00:00:00Z","count":2}`,
		`{"id":"bad-hour","trigger":{"type":"cron","hour":24,"timezone":"UTC"},"start":"2024-01-01T00:00:00Z"}`,
		`{"id":"truncated","trigger":{"type":"cron"`,
		``, // blank lines are skipped
		`{"id":"bad-start","trigger":{"type":"cron","hour":"9"},"start":"2024-01-01"}`,
		`{"id":"no-start","trigger":{"type":"cron","hour":"9"}}`,
		`{"id":"default-count","trigger":{"type":"cron","hour":"9"},"start":"2024-01-01T00:00:00+00:00"}`,
		`{"id":"negative-count","trigger":{"type":"cron","hour":"9"},"start":"2024-01-01T00:00:00Z","count":-1}`,
		`{"id":"string-count","trigger":{"type":"cron","hour":"9"},"start":"2024-01-01T00:00:00Z","count":"3"}`,
		`{"id":"no-trigger","start":"2024-01-01T00:00:00Z"}`,
		`{"id":7,"trigger":{"type":"date","run_date":"2024-06-01T12:00:00.25","timezone":"Asia/Kathmandu"},"start":"2024-01-01T00:00:00Z"}`,
		`[1, 2]`,
		`{"id":"huge-count","trigger":{"type":"cron","hour":"9"},"start":"2024-01-01T00:00:00Z","count":1000000}`,
	}
	raw, got := runBatchLines(t, in)
	if len(got) != len(in)-1 {
		t.Fatalf("got %d answers, want %d:\n%s", len(got), len(in)-1, strings.Join(raw, "\n"))
	}

	const wantOK = `{"id":"ok","fires":["2024-01-01T09:00:00+00:00","2024-01-02T09:00:00+00:00"],"done":false}`
	if raw[0] != wantOK {
		t.Errorf("answer 0 = %s, want %s", raw[0], wantOK)
	}
	wantErrors := []struct {
		index int
		id    any
		field string
	}{
		{1, "bad-hour", "hour"},
		{2, nil, "line"},
		{3, "bad-start", "start"},
		{4, "no-start", "start"},
		{6, "negative-count", "count"},
		{7, "string-count", "count"},
		{8, "no-trigger", "trigger"},
		{10, nil, "line"},
		{11, "huge-count", "count"},
	}
	for _, w := range wantErrors {
		a := got[w.index]
		if a.ID != w.id || a.Field != w.field || a.Error == "" || a.Fires != nil {
			t.Errorf("answer %d = %s, want an error for id %v naming field %q", w.index, raw[w.index], w.id, w.field)
		}
	}
	if a := got[5]; a.ID != "default-count" || a.Fires == nil || len(*a.Fires) != 12 || *a.Done {
		t.Errorf("answer 5 = %s, want 12 fire times by default", raw[5])
	}
	const wantDate = `{"id":7,"fires":["2024-06-01T12:00:00.250000+05:45"],"done":true}`
	if raw[9] != wantDate {
		t.Errorf("answer 9 = %s, want %s", raw[9], wantDate)
	}
}

// TestBatchAnswersEachLine drives the batch mode like an interactive peer: it
// reads each answer before it writes the next request, which only works when
// every answer is flushed as soon as it is computed.
func TestBatchAnswersEachLine(t *testing.T) {
	t.Parallel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	t.Cleanup(func() {
		inW.Close()
		outR.Close()
	})
	done := make(chan error, 1)
	go func() {
		err := run(context.Background(), []string{"next", "--batch"}, inR, outW, io.Discard)
		outW.Close()
		done <- err
	}()
	answers := make(chan string)
	go func() {
		defer close(answers)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			answers <- sc.Text()
		}
	}()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for i, id := range []string{"a", "b", "c"} {
		req := `{"id":"` + id + `","trigger":{"type":"interval","hours":1,"start_date":"2024-01-01T00:00:00Z"},"start":"2024-01-01T00:00:00Z","count":1}` + "\n"
		if _, err := io.WriteString(inW, req); err != nil {
			t.Fatal(err)
		}
		select {
		case line := <-answers:
			if !strings.HasPrefix(line, `{"id":"`+id+`","fires":["2024-01-01T00:00:00+00:00"]`) {
				t.Fatalf("answer %d = %s", i, line)
			}
		case <-timeout.C:
			t.Fatalf("no answer to request %d: output is not flushed per line", i)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBatchLineTooLong(t *testing.T) {
	t.Parallel()
	long := `{"id":"x","pad":"` + strings.Repeat("x", maxBatchLine) + `"}`
	r := runCmd(t, long+"\n", "next", "--batch")
	if r.err == nil || !errors.Is(r.err, bufio.ErrTooLong) || exitCode(r.err) != 1 {
		t.Fatalf("err = %v, want bufio.ErrTooLong", r.err)
	}
}

// conformanceCase is one line of testdata/conformance/triggers.jsonl.
type conformanceCase struct {
	ID      string          `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Start   string          `json:"start"`
	Expect  []string        `json:"expect"`
	Done    bool            `json:"done"`
}

// TestBatchConformance feeds the first cases of the trigger vectors through
// the batch mode and checks its answers against the expected fire times.
func TestBatchConformance(t *testing.T) {
	t.Parallel()
	const maxCases = 50
	f, err := os.Open(filepath.Join("..", "..", "testdata", "conformance", "triggers.jsonl"))
	if err != nil {
		t.Skip("conformance vectors not available:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxBatchLine)
	var cases []conformanceCase
	var in []string
	for len(cases) < maxCases && sc.Scan() {
		var c conformanceCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		req, err := json.Marshal(map[string]any{"id": c.ID, "trigger": c.Trigger, "start": c.Start, "count": 12})
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
		in = append(in, string(req))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	raw, got := runBatchLines(t, in)
	if len(got) != len(cases) {
		t.Fatalf("got %d answers for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		a := got[i]
		switch {
		case a.ID != c.ID:
			t.Errorf("answer %d has id %v, want %s", i, a.ID, c.ID)
		case a.Fires == nil || a.Done == nil:
			t.Errorf("%s: %s", c.ID, raw[i])
		case !slices.Equal(*a.Fires, c.Expect) || *a.Done != c.Done:
			t.Errorf("%s:\ngot  %q done=%v\nwant %q done=%v", c.ID, *a.Fires, *a.Done, c.Expect, c.Done)
		}
	}
}
