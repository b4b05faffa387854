package trigger

import (
	"encoding/json"
	"testing"
	"time"
)

var fuzzStart = time.Date(2024, 3, 20, 12, 34, 56, 0, time.UTC)

// checkFires asks a trigger for up to n fire times and checks they strictly
// increase.
func checkFires(t *testing.T, trig Trigger, n int) []time.Time {
	t.Helper()
	fires, _ := Upcoming(trig, fuzzStart, n)
	for i := 1; i < len(fires); i++ {
		if !fires[i].After(fires[i-1]) {
			b, _ := json.Marshal(trig)
			t.Fatalf("%s: fire %d (%v) is not after %v", b, i, fires[i], fires[i-1])
		}
	}
	return fires
}

// FuzzParse feeds arbitrary JSON definitions: no panic, no hang; an accepted
// trigger has a canonical form that parses to the same canonical form and to
// the same fire times, which strictly increase.
func FuzzParse(f *testing.F) {
	for _, c := range readVectors[triggerCase](f, "triggers.jsonl") {
		f.Add(string(c.Trigger))
	}
	for _, c := range readVectors[invalidCase](f, "invalid.jsonl") {
		f.Add(string(c.Trigger))
	}
	f.Fuzz(func(t *testing.T, def string) {
		trig, err := Parse([]byte(def))
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("%s: error %v is not a FieldError", def, err)
			}
			return
		}
		b1, err := json.Marshal(trig)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(b1)
		if err != nil {
			t.Fatalf("canonical %s of %s does not parse: %v", b1, def, err)
		}
		if b2, _ := json.Marshal(again); string(b1) != string(b2) {
			t.Fatalf("canonical form not stable: %s then %s", b1, b2)
		}
		f1 := checkFires(t, trig, 8)
		f2 := checkFires(t, again, 8)
		if len(f1) != len(f2) {
			t.Fatalf("%s: %d fires, %d after a round trip", def, len(f1), len(f2))
		}
		for i := range f1 {
			if !f1[i].Equal(f2[i]) {
				t.Fatalf("%s: fire %d changed after a round trip", def, i)
			}
		}
		_ = trig.Describe()
	})
}

// FuzzCronFields builds keyword cron triggers from arbitrary field
// expressions: every fire time is a whole second matching every field (in
// UTC), and in a DST zone every fire is a matching wall time or a gap time
// shifted forward.
func FuzzCronFields(f *testing.F) {
	f.Add("*", "*", "*", "*", "*", "*", "*")
	f.Add("2", "last", "*", "mon-fri", "9-17/2", "*/15", "30")
	f.Add("jan-mar", "3rd fri", "1,10", "sat", "2", "30", "0")
	f.Add("*/4", "last sun", "*", "*", "2", "*/20", "")
	f.Add("feb", "29", "", "mon", "", "", "")
	f.Fuzz(func(t *testing.T, month, day, week, dow, hour, minute, second string) {
		fields := CronFields{Month: month, Day: day, Week: week, DayOfWeek: dow, Hour: hour, Minute: minute, Second: second}
		c, err := NewCron(fields, time.UTC)
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("error %v is not a FieldError", err)
			}
			return
		}
		for _, fire := range checkFires(t, c, 12) {
			if fire.Nanosecond() != 0 || !c.spec.matchesWall(fire.Unix()) {
				t.Fatalf("%+v: fire %v does not match", fields, fire)
			}
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		cb, _ := NewCron(fields, berlin)
		for _, fire := range checkFires(t, cb, 12) {
			w := wallAt(berlin, fire)
			if !cb.spec.matchesWall(w) && !cb.spec.matchesWall(w-3600) {
				t.Fatalf("%+v: Berlin fire %v matches neither its wall time nor a gap time", fields, fire)
			}
		}
	})
}

// FuzzParseTime: no panic, and an accepted time survives FormatTime.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-03-30T00:00:00+01:00", "2024-03-31 02:30:00", "2024-02-29", "2024-01-01T00:00:00.123456Z", "tomorrow"} {
		f.Add(s)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTime(s, berlin)
		if _, off := v.Zone(); err != nil || off%60 != 0 {
			return // RFC 3339 cannot write the seconds of a local mean time offset
		}
		back, err := ParseTime(FormatTime(v), berlin)
		if err != nil || !back.Equal(v) {
			t.Fatalf("%q → %s → %v (%v)", s, FormatTime(v), back, err)
		}
	})
}
