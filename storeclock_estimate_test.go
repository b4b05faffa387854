package sundial

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// around is a measurement of offset off with a round trip of rtt, centred.
func around(off, rtt time.Duration) clockBound {
	return clockBound{lo: off - rtt/2, hi: off + rtt/2}
}

func TestClockEstimate(t *testing.T) {
	t.Parallel()
	const ms, s = time.Millisecond, time.Second
	narrowThenWide := []clockBound{around(-30*s, ms/5)}
	for range clockBounds {
		narrowThenWide = append(narrowThenWide, around(-30*s, 10*ms))
	}
	tests := []struct {
		name   string
		bounds []clockBound
		want   time.Duration
	}{
		{"no measurement", nil, 0},
		{"same clock", []clockBound{{lo: -200 * time.Microsecond, hi: 300 * time.Microsecond}}, 0},
		{"within the stores' precision", []clockBound{{lo: ms / 2, hi: ms * 4 / 5}}, 0},
		{"node ahead: low end", []clockBound{around(-30*s, 4*ms)}, -30*s - 2*ms},
		{"node behind: low end", []clockBound{around(30*s, 2*ms)}, 30*s - ms},
		{"narrowest wins", []clockBound{around(-30*s, 20*ms), around(-30*s, 2*ms), around(-30*s, 40*ms)}, -30*s - ms},
		{"slow heartbeat ignored", []clockBound{around(-30*s, 2*ms), around(-39*s, 2*s)}, -30*s - ms},
		{"only slow heartbeats: none", []clockBound{around(-30*s, 3*s)}, 0},
		{"negative round trip ignored", []clockBound{{lo: -29 * s, hi: -31 * s}}, 0},
		{"a clock stepped: older measurements dropped", []clockBound{around(-30*s, 2*ms), around(5*s, 100*ms)}, 5*s - 50*ms},
		{"overlapping wider measurement kept beside", []clockBound{around(-30*s, 2*ms), around(-30*s+20*ms, 50*ms)}, -30*s - ms},
		{"the narrowest ages out", narrowThenWide, -30*s - 5*ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e clockEstimate
			for _, b := range tt.bounds {
				e.add(b)
			}
			if got := e.offset(); got != tt.want {
				t.Errorf("offset = %s, want %s", got, tt.want)
			}
			if len(e.bounds) > clockBounds {
				t.Errorf("kept %d measurements, want at most %d", len(e.bounds), clockBounds)
			}
		})
	}
}

// The offset followed is logged when it passes clockWarn, again when it
// changes by more, as an error (and not followed) beyond maxClockOffset,
// and once more when the clocks agree again.
func TestObserveClockLogsOncePerChange(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	cfg := Config{StoreClock: StoreClockOn, NodeID: "n1"}
	s := &Scheduler{cfg: cfg, log: slog.New(slog.NewTextHandler(&buf, nil)),
		stores: map[string]Store{DefaultStore: nil}, storeNames: []string{DefaultStore}}
	s.clocks = newStoreClocks(cfg, s.storeNames)
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		off, followed time.Duration
		log           string
	}{
		{0, 0, ""},
		{300 * time.Millisecond, 300 * time.Millisecond, ""},
		{-30 * time.Second, -30 * time.Second, "level=WARN msg=\"node clock differs from the store's: following the store's\""},
		{-30*time.Second + 500*time.Millisecond, -30*time.Second + 500*time.Millisecond, ""},
		{-32 * time.Second, -32 * time.Second, "level=WARN"},
		{-2 * time.Hour, 0, "level=ERROR"},
		{time.Millisecond / 2, 0, "level=INFO msg=\"node clock agrees with the store's again\""},
		{0, 0, ""},
	}
	for i, st := range steps {
		buf.Reset()
		before := base.Add(time.Duration(i) * time.Minute)
		s.observeClock(DefaultStore, before, before.Add(st.off), before)
		if got := s.StoreClockOffset(DefaultStore); got != st.followed {
			t.Errorf("step %d (%s): offset followed %s, want %s", i, st.off, got, st.followed)
		}
		got := strings.TrimSpace(buf.String())
		if (st.log == "") != (got == "") || !strings.Contains(got, st.log) || strings.Count(got, "\n") > 0 {
			t.Errorf("step %d (%s): logged %q, want one line with %q", i, st.off, got, st.log)
		}
	}
}
