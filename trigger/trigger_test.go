package trigger

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fireStrings(fires []time.Time) []string {
	out := make([]string, len(fires))
	for i, f := range fires {
		out[i] = FormatTime(f)
	}
	return out
}

// Canonical JSON is round-trip stable and means the same trigger.
func TestRoundTripVectors(t *testing.T) {
	t.Parallel()
	for _, c := range readVectors[triggerCase](t, "triggers.jsonl") {
		trig, err := Parse(c.Trigger)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		b1, err := json.Marshal(trig)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(b1)
		if err != nil {
			t.Fatalf("%s: canonical form %s does not parse: %v", c.ID, b1, err)
		}
		b2, _ := json.Marshal(again)
		if string(b1) != string(b2) {
			t.Fatalf("%s: not stable\n%s\n%s", c.ID, b1, b2)
		}
		start := mustTime(t, c.Start)
		f1, d1 := Upcoming(trig, start, 12)
		f2, d2 := Upcoming(again, start, 12)
		if !slices.Equal(fireStrings(f1), fireStrings(f2)) || d1 != d2 {
			t.Fatalf("%s: fire times changed after a round trip through %s", c.ID, b1)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		def, field, msg string
	}{
		{`{"type":"cron","hour":"25"}`, "hour", `hour: "25" is out of range 0-23`},
		{`{"type":"cron","minute":"*/0"}`, "minute", `step 0`},
		{`{"type":"cron","hours":"5"}`, "hours", `is not a key of a cron trigger`},
		{`{"type":"cron","day":"6th fri"}`, "day", `"6th fri"`},
		{`{"type":"cron","day_of_week":"fri-mon"}`, "day_of_week", `backwards range`},
		{`{"type":"cron","timezone":"Mars/Olympus"}`, "timezone", `not a known IANA time zone`},
		{`{"type":"interval","minutes":-5}`, "minutes", `must not be negative`},
		{`{"type":"interval"}`, "trigger", `interval is zero`},
		{`{"type":"interval","hours":1,"start_date":"2024-01-02","end_date":"2024-01-01"}`, "end_date", `is before start_date`},
		{`{"type":"date","run_date":"2024-02-30 10:00:00"}`, "run_date", `not a date that exists`},
		{`{"type":"date","run_date":"tomorrow"}`, "run_date", `is not a date-time`},
		{`{"type":"weekly"}`, "type", `not a trigger type`},
		{`{"type":"crontab","expr":"* * * *"}`, "expr", `"* * * *"`},
		{`{"type":"or","triggers":[{"type":"cron","hour":"1"},{"type":"cron","month":"13"}]}`, "triggers[1].month", `out of range 1-12`},
		{`{"type":"and","triggers":[]}`, "triggers", `at least one`},
		{`{"type":"calendarinterval","months":1,"start_date":"2024-01-01T09:00:00"}`, "start_date", `plain date`},
		{`[1,2]`, "trigger", `JSON object`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.def))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a FieldError", tt.def, err)
			continue
		}
		if fe.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: got %q (field %q), want field %q and %q", tt.def, err, fe.Field, tt.field, tt.msg)
		}
	}
}

// A cron that can never match answers "no fire" instead of searching forever.
func TestNeverMatches(t *testing.T) {
	t.Parallel()
	for _, def := range []string{
		`{"type":"cron","month":"2","day":"30"}`,
		`{"type":"cron","month":"4","day":"31","timezone":"Europe/Berlin"}`,
		`{"type":"crontab","expr":"0 0 30 2 ?","dialect":"standard"}`,
		`{"type":"cron","year":"2020","month":"1"}`,
		`{"type":"and","triggers":[{"type":"cron","second":"*/2"},{"type":"cron","second":"1-59/2"}]}`,
		`{"type":"and","triggers":[{"type":"interval","seconds":2,"start_date":"2024-01-01T00:00:00.5Z"},{"type":"cron","second":"*"}]}`,
		`{"type":"and","triggers":[{"type":"cron","day_of_week":"mon","hour":"*"},{"type":"cron","day_of_week":"tue","hour":"*"}]}`,
	} {
		trig := MustParse(def)
		if next, ok := trig.First(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
			t.Errorf("%s: fires at %v, want never", def, next)
		}
	}
}

// In Australia/Lord_Howe the clocks jump 30 minutes, so minute 15 and minute
// 45 meet once a year: the shifted 02:15 is 02:45+11:00.
func TestAndMeetsThroughGap(t *testing.T) {
	t.Parallel()
	trig := MustParse(`{"type":"and","triggers":[
		{"type":"cron","minute":"15","timezone":"Australia/Lord_Howe"},
		{"type":"cron","minute":"45","timezone":"Australia/Lord_Howe"}]}`)
	fires, done := Upcoming(trig, mustTime(t, "2026-01-01T00:00:00Z"), 2)
	want := []string{"2026-10-04T02:45:00+11:00", "2027-10-03T02:45:00+11:00"}
	if !slices.Equal(fireStrings(fires), want) || done {
		t.Fatalf("got %v done=%v, want %v", fireStrings(fires), done, want)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		in   string
		loc  *time.Location
		want string // "" = error
	}{
		{"2024-03-30T00:00:00+01:00", berlin, "2024-03-30T00:00:00+01:00"},
		{"2024-03-30T23:00:00Z", berlin, "2024-03-31T00:00:00+01:00"},
		{"2024-03-30 00:00:00", berlin, "2024-03-30T00:00:00+01:00"},
		{"2024-03-30", berlin, "2024-03-30T00:00:00+01:00"},
		{"2024-03-31 02:30:00", berlin, "2024-03-31T03:30:00+02:00"}, // gap: moved forward
		{"2024-11-03 01:30:00", ny, "2024-11-03T01:30:00-04:00"},     // overlap: first
		{"2024-01-01T00:00:00.25", time.UTC, "2024-01-01T00:00:00.250000+00:00"},
		{"2024-1-5 3:04:05", time.UTC, "2024-01-05T03:04:05+00:00"},
		{"2024-02-30", time.UTC, ""},
		{"2024-13-01", time.UTC, ""},
		{"31/12/2024", time.UTC, ""},
		{"2024-01-01T25:00:00", time.UTC, ""},
		{"2024-01-01T10:00:00+0100", time.UTC, ""},
		{"", time.UTC, ""},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.loc)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseTime(%q) = %v, want an error", tt.in, got)
		case tt.want != "" && err != nil:
			t.Errorf("ParseTime(%q): %v", tt.in, err)
		case tt.want != "" && FormatTime(got) != tt.want:
			t.Errorf("ParseTime(%q) = %s, want %s", tt.in, FormatTime(got), tt.want)
		}
	}
}

func TestParseFlat(t *testing.T) {
	t.Parallel()
	decode := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	trig, used, err := ParseFlat(decode(`{"id":"j","func":"m:f","trigger":"cron","hour":"9","minute":30,"timezone":"Asia/Shanghai","max_instances":2}`), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(trig)
	if string(b) != `{"type":"cron","hour":"9","minute":"30","timezone":"Asia/Shanghai"}` {
		t.Errorf("flat cron = %s", b)
	}
	slices.Sort(used)
	if !slices.Equal(used, []string{"hour", "minute", "timezone", "trigger"}) {
		t.Errorf("used = %v", used)
	}

	trig, _, err = ParseFlat(decode(`{"trigger":{"run_date":"2030-01-01 10:00:00"}}`), time.UTC)
	if err != nil || trig.Type() != "date" {
		t.Fatalf("legacy object form: %v %v", trig, err)
	}
	if trig, used, err := ParseFlat(decode(`{"id":"x"}`), time.UTC); trig != nil || used != nil || err != nil {
		t.Errorf("no trigger: got %v %v %v", trig, used, err)
	}
	_, _, err = ParseFlat(decode(`{"trigger":"interval","seconds":"ten"}`), time.UTC)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "seconds" {
		t.Errorf("bad unit: %v", err)
	}
	_, _, err = ParseFlat(decode(`{"trigger":"sometimes"}`), time.UTC)
	if !errors.As(err, &fe) || fe.Field != "trigger" {
		t.Errorf("bad type: %v", err)
	}
}

func TestIntervalAnchor(t *testing.T) {
	t.Parallel()
	trig := MustParse(`{"type":"interval","minutes":10}`).(*IntervalTrigger)
	now := mustTime(t, "2024-05-01T12:00:00Z")
	if first, _ := trig.First(now); !first.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("unanchored first = %v", first)
	}
	anchored := trig.Anchor(now)
	later := now.Add(25 * time.Minute)
	if first, _ := anchored.First(later); FormatTime(first) != "2024-05-01T12:30:00+00:00" {
		t.Errorf("anchored first = %v", first)
	}
	if trig.StartDate() != (time.Time{}) {
		t.Error("Anchor changed the original")
	}
}

func TestCivil(t *testing.T) {
	t.Parallel()
	for days := int64(-800000); days < 3000000; days += 997 {
		y, m, d := civilFromDays(days)
		if daysFromCivil(y, m, d) != days {
			t.Fatalf("civil round trip fails at %d", days)
		}
		if got := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay; got != days {
			t.Fatalf("%d-%d-%d: %d, time says %d", y, m, d, days, got)
		}
		tm := time.Unix(days*secondsPerDay, 0).UTC()
		if weekdayOfDays(days) != int(tm.Weekday()) {
			t.Fatalf("weekday of %v", tm)
		}
		if _, w := tm.ISOWeek(); isoWeek(days) != w {
			t.Fatalf("ISO week of %v: %d, want %d", tm, isoWeek(days), w)
		}
	}
}

func TestWallInstants(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	gap := wallOf(2024, 3, 31, 2, 30, 0)
	if _, n, shifted := wallInstants(berlin, gap); n != 0 || FormatTime(time.Unix(shifted, 0).In(berlin)) != "2024-03-31T03:30:00+02:00" {
		t.Errorf("gap: n=%d shifted=%v", n, time.Unix(shifted, 0).In(berlin))
	}
	overlap := wallOf(2024, 10, 27, 2, 30, 0)
	inst, n, _ := wallInstants(berlin, overlap)
	if n != 2 || FormatTime(time.Unix(inst[0], 0).In(berlin)) != "2024-10-27T02:30:00+02:00" ||
		FormatTime(time.Unix(inst[1], 0).In(berlin)) != "2024-10-27T02:30:00+01:00" {
		t.Errorf("overlap: %d %v", n, inst)
	}
	if _, n, _ := wallInstants(berlin, wallOf(2024, 6, 1, 12, 0, 0)); n != 1 {
		t.Errorf("plain: n=%d", n)
	}
}

// Anchor reaches interval triggers inside combinators, so their grid is
// fixed when the job is added rather than left on the Unix epoch.
func TestAnchorInsideCombinators(t *testing.T) {
	t.Parallel()
	now := mustTime(t, "2024-05-01T12:00:07Z")
	trig := Anchor(MustParse(`{"type":"or","triggers":[{"type":"cron","hour":"0"},{"type":"interval","minutes":10}]}`), now)
	fires, _ := Upcoming(trig, now, 2)
	want := []string{"2024-05-01T12:10:07+00:00", "2024-05-01T12:20:07+00:00"}
	if !slices.Equal(fireStrings(fires), want) {
		t.Fatalf("got %v, want %v", fireStrings(fires), want)
	}
	fixed := MustParse(`{"type":"cron","hour":"0"}`)
	if Anchor(fixed, now) != fixed {
		t.Error("a trigger without an unanchored interval was copied")
	}
}
