package trigger

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	_ "time/tzdata"
)

// The conformance vectors (testdata/conformance, copied byte for byte from
// the shared specification) are the contract of this package.

type triggerCase struct {
	ID      string          `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Start   string          `json:"start"`
	Expect  []string        `json:"expect"`
	Done    bool            `json:"done"`
	Note    string          `json:"note"`
}

type invalidCase struct {
	ID      string          `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Field   string          `json:"field"`
	Note    string          `json:"note"`
}

// readVectors decodes every line of a vector file into T.
func readVectors[T any](t testing.TB, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "conformance", name))
	if err != nil {
		t.Fatalf("conformance vectors: %v", err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	for sc.Scan() {
		var c T
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformanceTriggers(t *testing.T) {
	t.Parallel()
	cases := readVectors[triggerCase](t, "triggers.jsonl")
	if len(cases) < 1000 {
		t.Fatalf("only %d trigger vectors", len(cases))
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			trig, err := Parse(c.Trigger)
			if err != nil {
				t.Fatalf("parse %s: %v", c.Trigger, err)
			}
			start, err := time.Parse(time.RFC3339Nano, c.Start)
			if err != nil {
				t.Fatal(err)
			}
			fires, done := Upcoming(trig, start, 12)
			got := make([]string, len(fires))
			for i, f := range fires {
				got[i] = FormatTime(f)
			}
			if !slices.Equal(got, c.Expect) || done != c.Done {
				t.Errorf("%s (%s)\n got  %q done=%v\n want %q done=%v", c.Trigger, c.Note, got, done, c.Expect, c.Done)
			}
		})
	}
}

func TestConformanceInvalid(t *testing.T) {
	t.Parallel()
	cases := readVectors[invalidCase](t, "invalid.jsonl")
	if len(cases) < 90 {
		t.Fatalf("only %d invalid vectors", len(cases))
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			trig, err := Parse(c.Trigger)
			if err == nil {
				b, _ := trig.MarshalJSON()
				t.Fatalf("%s (%s) accepted as %s; want an error naming %q", c.Trigger, c.Note, b, c.Field)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: error %v is not a FieldError", c.Trigger, err)
			}
			if fe.Field != c.Field {
				t.Errorf("%s (%s): error %q names %q, want %q", c.Trigger, c.Note, err, fe.Field, c.Field)
			}
		})
	}
}
