package sundial

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/sundial-scheduler/sundial/trigger"
)

type catchupCase struct {
	ID      string          `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Job     struct {
		Coalesce         bool     `json:"coalesce"`
		MisfireGraceTime *float64 `json:"misfire_grace_time"`
	} `json:"job"`
	NextRunTime string `json:"next_run_time"`
	Now         string `json:"now"`
	Expect      struct {
		Run         []string `json:"run"`
		Missed      []string `json:"missed"`
		NextRunTime *string  `json:"next_run_time"`
	} `json:"expect"`
	Note string `json:"note"`
}

func TestConformanceCatchUp(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "conformance", "catchup.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	n := 0
	for sc.Scan() {
		var c catchupCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			trig, err := trigger.Parse(c.Trigger)
			if err != nil {
				t.Fatal(err)
			}
			nextRun, _ := time.Parse(time.RFC3339Nano, c.NextRunTime)
			now, _ := time.Parse(time.RFC3339Nano, c.Now)
			var grace *time.Duration
			if c.Job.MisfireGraceTime != nil {
				g := time.Duration(*c.Job.MisfireGraceTime * float64(time.Second))
				grace = &g
			}
			got := ComputeCatchUp(trig, c.Job.Coalesce, grace, nextRun, now)
			next := "null"
			if got.HasNext {
				next = trigger.FormatTime(got.Next.In(trig.Location()))
			}
			want := "null"
			if c.Expect.NextRunTime != nil {
				want = *c.Expect.NextRunTime
			}
			agree := slices.Equal(formatIn(got.Run, trig), nonNil(c.Expect.Run)) &&
				slices.Equal(formatIn(got.Missed, trig), nonNil(c.Expect.Missed)) && next == want
			if reason, disputed := disputedCatchUp[c.ID]; disputed {
				if agree {
					t.Fatalf("disputed vector now agrees; remove it from disputedCatchUp")
				}
				t.Skipf("disputed vector, not counted: %s", reason)
			}
			if !agree {
				t.Errorf("%s (%s)\n got  run=%v missed=%v next=%s\n want run=%v missed=%v next=%s",
					c.Trigger, c.Note, formatIn(got.Run, trig), formatIn(got.Missed, trig), next, c.Expect.Run, c.Expect.Missed, want)
			}
		})
	}
	if n < 150 {
		t.Fatalf("only %d catch-up vectors", n)
	}
}

// disputedCatchUp lists vectors that contradict the conformance README and
// triggers.jsonl. They stay here, checked to still disagree, until the
// vectors are regenerated; see the project notes.
var disputedCatchUp = map[string]string{
	"catchup-0050": vixieStarStep,
	"catchup-0051": vixieStarStep,
	"catchup-0082": vixieStarStep,
	"catchup-0083": vixieStarStep,
}

const vixieStarStep = "the trigger \"0 0 */10 * 3\" has a day-of-month field starting with *, " +
	"which README C2 (Vixie's first-character rule) makes unrestricted, so a day must be a Wednesday " +
	"AND one of 1, 11, 21, 31 (as crontab-0002/0004/0081 in triggers.jsonl encode); this vector " +
	"expects the OR rule of croniter/robfig instead (it was not recomputed with the Vixie rule)"

func formatIn(ts []time.Time, trig trigger.Trigger) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, trigger.FormatTime(t.In(trig.Location())))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
