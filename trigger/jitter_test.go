package trigger

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestApplyJitter(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	trig := MustParse(`{"type":"interval","seconds":10,"start_date":"2024-01-01T00:00:00Z","jitter":30}`)
	fire := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[time.Duration]bool{}
	for range 200 {
		j := ApplyJitter(trig, fire, r)
		d := j.Sub(fire)
		if d < 0 || d >= 10*time.Second {
			t.Fatalf("jitter %v escapes [0, 10s): it must stay before the next fire", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays in 200 draws", len(seen))
	}
	same := rand.New(rand.NewPCG(1, 2))
	if a, b := ApplyJitter(trig, fire, same), ApplyJitter(trig, fire, rand.New(rand.NewPCG(1, 2))); !a.Equal(b) {
		t.Error("the same seed gave different jitter")
	}
	cron := MustParse(`{"type":"cron","hour":"9","end_date":"2024-01-01T09:00:05Z","jitter":60}`)
	at9 := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for range 50 {
		if d := ApplyJitter(cron, at9, r).Sub(at9); d < 0 || d >= 5*time.Second {
			t.Fatalf("jitter %v passes the end date", d)
		}
	}
	if got := ApplyJitter(MustParse(`{"type":"cron","hour":"9"}`), at9, r); !got.Equal(at9) {
		t.Error("a trigger without jitter was moved")
	}
}
