package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNextAgreement checks that both peers read every expression of the
// next scenario the same way, so that its ratios compare like with like:
// over the range the benchmarks walk, and over the first agreeFires fire
// times unless the case explains the difference.
func TestNextAgreement(t *testing.T) {
	t.Parallel()
	for _, c := range nextCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.agreement(nextFrom, agreeFires, nextUntil)
			if err != nil {
				t.Fatal(err)
			}
			if got != "agree" {
				t.Errorf("%s up to %s: %s", c.label(), nextUntil.Format("2006-01-02"), got)
			}
			got, err = c.agreement(nextFrom, agreeFires, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case got != "agree" && c.known == "":
				t.Errorf("%s, first %d fires: %s", c.label(), agreeFires, got)
			case got == "agree" && c.known != "":
				t.Errorf("%s, first %d fires: agree, but the case says %q", c.label(), agreeFires, c.known)
			}
		})
	}
}

// TestNextDSTWindows logs how the peers compare across the DST transitions
// of the zoned cases; they may differ there by design.
func TestNextDSTWindows(t *testing.T) {
	t.Parallel()
	for _, c := range nextCases {
		if c.zone == "" {
			continue
		}
		for _, w := range dstWindows {
			got, err := c.agreement(w.from, dstFires, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s across %s: %s", c.label(), w.what, got)
		}
	}
}

// TestRunQuick runs the CLI end to end in quick mode and checks the table
// and the JSON lines.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	path := filepath.Join(t.TempDir(), "out.jsonl")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-scenarios", "next", "-quick", "-json", path}, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range nextCases {
		if !strings.Contains(out.String(), c.label()) {
			t.Errorf("table lacks %q:\n%s", c.label(), out.String())
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if want := len(nextCases) * 2 * 3; len(lines) != want {
		t.Fatalf("got %d JSON lines, want %d", len(lines), want)
	}
	for _, l := range lines {
		var rec record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if !strings.HasPrefix(rec.Scenario, "next/") || (rec.Peer != "sundial" && rec.Peer != "robfig") || rec.Unit == "" {
			t.Errorf("bad record %s", l)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	t.Parallel()
	if s, err := selectScenarios("all"); err != nil || len(s) != len(scenarios) {
		t.Errorf("all: got %d scenarios, %v", len(s), err)
	}
	if s, err := selectScenarios(" next ,"); err != nil || len(s) != 1 || s[0].name != "next" {
		t.Errorf("next: got %v, %v", s, err)
	}
	if _, err := selectScenarios("next,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("nope: got %v, want an error naming it", err)
	}
}

func BenchmarkNextSundial(b *testing.B) {
	for _, c := range nextCases {
		b.Run(c.name, func(b *testing.B) {
			st, err := c.sundial()
			if err != nil {
				b.Fatal(err)
			}
			benchSundial(b, st)
		})
	}
}

func BenchmarkNextRobfig(b *testing.B) {
	for _, c := range nextCases {
		b.Run(c.name, func(b *testing.B) {
			rs, err := c.robfig()
			if err != nil {
				b.Fatal(err)
			}
			benchRobfig(b, rs)
		})
	}
}
