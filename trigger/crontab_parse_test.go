package trigger

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

// ctBits returns a bit set with the given bits.
func ctBits(vals ...int) uint64 {
	var b uint64
	for _, v := range vals {
		b |= 1 << v
	}
	return b
}

// ctRange returns the bits lo, lo+step, … <= hi.
func ctRange(lo, hi, step int) uint64 {
	var b uint64
	for v := lo; v <= hi; v += step {
		b |= 1 << v
	}
	return b
}

// ctYears returns a year bit set over 1970–2099 with the given years.
func ctYears(years ...int) []uint64 {
	out := make([]uint64, 3)
	for _, y := range years {
		out[(y-1970)/64] |= 1 << ((y - 1970) % 64)
	}
	return out
}

const (
	allSec     = uint64(1)<<60 - 1
	allHour    = uint32(1)<<24 - 1
	allMonth   = uint16(0x1ffe)
	allDom     = uint32(0xfffffffe)
	allDowBits = uint8(0x7f)
)

func TestParseCrontab(t *testing.T) {
	t.Parallel()
	// want is filled in by the test: weekAll true, dowByFirst from finish.
	tests := []struct {
		expr, dialect string
		want          spec
	}{
		{"*/5 9-17 * * mon-fri", "", spec{second: 1, minute: ctRange(0, 59, 5), hour: uint32(ctRange(9, 17, 1)),
			month: allMonth, dom: allDom, domAll: true, dow: uint8(ctRange(1, 5, 1)), minYear: 1970, maxYear: 9999}},
		{"0 0 29 2 1", "standard", spec{second: 1, minute: 1, hour: 1, month: 1 << 2, dom: 1 << 29,
			dow: 1 << 1, orDays: true, minYear: 1970, maxYear: 9999}},
		// "*/10" is unrestricted for the Vixie rule but keeps its values.
		{"17 9 */10 10 wed", "", spec{second: 1, minute: 1 << 17, hour: 1 << 9, month: 1 << 10,
			dom: uint32(ctBits(1, 11, 21, 31)), dow: 1 << 3, minYear: 1970, maxYear: 9999}},
		{"0 18 * * fri-sun", "", spec{second: 1, minute: 1, hour: 1 << 18, month: allMonth, dom: allDom, domAll: true,
			dow: uint8(ctBits(0, 5, 6)), minYear: 1970, maxYear: 9999}},
		{"0 18 * * 5-7", "", spec{second: 1, minute: 1, hour: 1 << 18, month: allMonth, dom: allDom, domAll: true,
			dow: uint8(ctBits(0, 5, 6)), minYear: 1970, maxYear: 9999}},
		{"0 0 * * 7", "", spec{second: 1, minute: 1, hour: 1, month: allMonth, dom: allDom, domAll: true,
			dow: 1, minYear: 1970, maxYear: 9999}},
		{"29/9 4 15 */3 0,6", "", spec{second: 1, minute: ctBits(29, 38, 47, 56), hour: 1 << 4,
			month: uint16(ctBits(1, 4, 7, 10)), dom: 1 << 15, dow: uint8(ctBits(0, 6)), orDays: true, minYear: 1970, maxYear: 9999}},
		{"0 0 * JAN-jun ?", "", spec{second: 1, minute: 1, hour: 1, month: uint16(ctRange(1, 6, 1)), dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 9999}},
		{"@hourly", "", spec{second: 1, minute: 1, hour: allHour, month: allMonth, dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 9999}},
		{"@weekly", "", spec{second: 1, minute: 1, hour: 1, month: allMonth, dom: allDom, domAll: true,
			dow: 1, minYear: 1970, maxYear: 9999}},
		{"  @yearly ", "", spec{second: 1, minute: 1, hour: 1, month: 1 << 1, dom: 1 << 1,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 9999}},
		{"30 16,31 3 1,15 jan,jul sun 2032,2034", "", spec{second: 1 << 30, minute: ctBits(16, 31), hour: 1 << 3,
			month: uint16(ctBits(1, 7)), dom: uint32(ctBits(1, 15)), dow: 1, orDays: true,
			minYear: 1970, maxYear: 2099, years: ctYears(2032, 2034)}},
		{"0 0 0 * * * 2095/2", "", spec{second: 1, minute: 1, hour: 1, month: allMonth, dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099, years: ctYears(2095, 2097, 2099)}},
		{"0 0 0 * * * *", "", spec{second: 1, minute: 1, hour: 1, month: allMonth, dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099}},
		{"0 12 L-3 * *", "", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth,
			domSpecial: []daySpecial{{kind: specLastDay, n: 3}}, dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 9999}},
		{"0 12 L * 1", "", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth,
			domSpecial: []daySpecial{{kind: specLastDay}}, dow: 1 << 1, orDays: true, minYear: 1970, maxYear: 9999}},
		{"0 9 lw,15w * *", "", spec{second: 1, minute: 1, hour: 1 << 9, month: allMonth,
			domSpecial: []daySpecial{{kind: specLastWorkday}, {kind: specNearest, n: 15}}, dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 9999}},
		{"0 12 * * 7#2", "", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dowSpecial: []daySpecial{{kind: specNth, n: 2, weekday: 0}}, minYear: 1970, maxYear: 9999}},
		{"0 12 ? * TueL", "", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dowSpecial: []daySpecial{{kind: specLastWeekday, weekday: 2}}, minYear: 1970, maxYear: 9999}},
		{"0 0 12 * * ?", "quartz", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099}},
		{"0/15 0 20-4/2 ? NOV-FEB FRI-MON", "quartz", spec{second: ctBits(0, 15, 30, 45), minute: 1,
			hour: uint32(ctBits(20, 22, 0, 2, 4)), month: uint16(ctBits(11, 12, 1, 2)), dom: allDom, domAll: true,
			dow: uint8(ctBits(5, 6, 0, 1)), minYear: 1970, maxYear: 2099}},
		{"0 0 0 25-5 * ? 2026,2029", "quartz", spec{second: 1, minute: 1, hour: 1, month: allMonth,
			dom: uint32(ctRange(25, 31, 1) | ctRange(1, 5, 1)), dow: allDowBits, dowAll: true,
			minYear: 1970, maxYear: 2099, years: ctYears(2026, 2029)}},
		{"0 0 12 ? * 1,7", "quartz", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dow: uint8(ctBits(0, 6)), minYear: 1970, maxYear: 2099}},
		{"0 0 12 ? * 2/3", "quartz", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dow: uint8(ctBits(1, 4)), minYear: 1970, maxYear: 2099}},
		{"0 0 12 ? * L", "quartz", spec{second: 1, minute: 1, hour: 1 << 12, month: allMonth, dom: allDom, domAll: true,
			dow: 1 << 6, minYear: 1970, maxYear: 2099}},
		{"0 0 8 ? * fril", "quartz", spec{second: 1, minute: 1, hour: 1 << 8, month: allMonth, dom: allDom, domAll: true,
			dowSpecial: []daySpecial{{kind: specLastWeekday, weekday: 5}}, minYear: 1970, maxYear: 2099}},
		{"0 0 8 ? * MON#1", "quartz", spec{second: 1, minute: 1, hour: 1 << 8, month: allMonth, dom: allDom, domAll: true,
			dowSpecial: []daySpecial{{kind: specNth, n: 1, weekday: 1}}, minYear: 1970, maxYear: 2099}},
		{"0 0 8 ? * 6#3", "quartz", spec{second: 1, minute: 1, hour: 1 << 8, month: allMonth, dom: allDom, domAll: true,
			dowSpecial: []daySpecial{{kind: specNth, n: 3, weekday: 5}}, minYear: 1970, maxYear: 2099}},
		{"0 15 10 L-3 * ?", "quartz", spec{second: 1, minute: 1 << 15, hour: 1 << 10, month: allMonth,
			domSpecial: []daySpecial{{kind: specLastDay, n: 3}}, dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099}},
		{"0 0 0 LW * ?", "quartz", spec{second: 1, minute: 1, hour: 1, month: allMonth,
			domSpecial: []daySpecial{{kind: specLastWorkday}}, dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099}},
		{"* * * * * ?", "quartz", spec{second: allSec, minute: allSec, hour: allHour, month: allMonth, dom: allDom, domAll: true,
			dow: allDowBits, dowAll: true, minYear: 1970, maxYear: 2099}},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+"/"+tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := parseCrontab(tt.expr, tt.dialect)
			if err != nil {
				t.Fatalf("parseCrontab(%q, %q): %v", tt.expr, tt.dialect, err)
			}
			want := tt.want
			want.weekAll = true
			want.finish()
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("parseCrontab(%q, %q) =\n %+v\nwant\n %+v", tt.expr, tt.dialect, *got, want)
			}
		})
	}
}

func TestParseCrontabRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, dialect, token string
	}{
		{"*/0 * * * *", "", `"*/0"`},
		{"0 24 * * *", "", `"24"`},
		{"0 0 * * 8", "", `"8"`},
		{"0 0 32 * *", "", `"32"`},
		{"0 0 0 * *", "", `"0"`},
		{"0 0 * 13 *", "", `"13"`},
		{"60 0 0 * * *", "", `"60"`},
		{"0 0 0 1 1 * 1969", "", `"1969"`},
		{"0 0 0 1 1 * 2100", "", `"2100"`},
		{"0 0 0 1 1 * 2030-2025", "", `"2030-2025"`},
		{"30-10 * * * *", "", `"30-10"`},
		{"0 0 * * fri-mon", "", `"fri-mon"`},
		{"0 0 * dec-jan *", "", `"dec-jan"`},
		{"0 0 * * funday", "", `"funday"`},
		{"0 0 * foo *", "", `"foo"`},
		{"0 0 * *", "", `"0 0 * *"`},
		{"0 0 0 1 1 * 2024 5", "", `"0 0 0 1 1 * 2024 5"`},
		{"", "", `expr: `},
		{"@reboot", "", `"@reboot"`},
		{"@fortnightly", "", `"@fortnightly"`},
		{"@DAILY", "", `"@DAILY"`},
		{"@yearly 0", "", `"@yearly 0"`},
		{"? 0 * * *", "", `"?"`},
		{"0 0 * ? *", "", `"?"`},
		{"0 0 * * 5#6", "", `"5#6"`},
		{"0 0 * * 5#0", "", `"5#0"`},
		{"0 0 L-31 * *", "", `"L-31"`},
		{"0 0 32W * *", "", `"32W"`},
		{"0 0 * * L", "", `"L"`},
		{"0 0 1,,2 * *", "", `"1,,2"`},
		{"0 0 * * 5L,", "", `"5L,"`},
		{"0 0 */x * *", "", `"*/x"`},
		{"0 0 -1 * *", "", `"-1"`},
		{"0 0 +1 * *", "", `"+1"`},
		{"0 0 1 * * *", "quartz", `"0 0 1 * * *"`},
		{"0 0 1 ? * ?", "quartz", `"0 0 1 ? * ?"`},
		{"0 0 12 * *", "quartz", `"0 0 12 * *"`},
		{"0 0 12 ? * 2 2024 1", "quartz", `"0 0 12 ? * 2 2024 1"`},
		{"0 0 12 ? * 0", "quartz", `"0"`},
		{"0 0 12 ? * 8", "quartz", `"8"`},
		{"0 0 12 ? * 1-8", "quartz", `"1-8"`},
		{"0 ? 12 * * ?", "quartz", `"?"`},
		{"0 0 12 * JUX ?", "quartz", `"JUX"`},
		{"0 0 12 ? * 6L,2", "quartz", `"6L,2"`},
		{"0 0 12 L,15 * ?", "quartz", `"L,15"`},
		{"0 0 12 ? * 2W", "quartz", `"2W"`},
		{"0 0/60 * * * ?", "quartz", `"0/60"`},
		{"0 0 0/24 * * ?", "quartz", `"0/24"`},
		{"0 0 12 L-31 * ?", "quartz", `"L-31"`},
		{"0 0 12 ? * 2#6", "quartz", `"2#6"`},
		{"0 0 12 1 * ? 2030-2025", "quartz", `"2030-2025"`},
		{"@daily", "quartz", `"@daily"`},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+"/"+tt.expr, func(t *testing.T) {
			t.Parallel()
			s, err := parseCrontab(tt.expr, tt.dialect)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("parseCrontab(%q, %q) = %+v, %v; want a *FieldError", tt.expr, tt.dialect, s, err)
			}
			if fe.Field != "expr" || !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q: field %q, want expr", err, fe.Field)
			}
			if !strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q does not mention %s", err, tt.token)
			}
		})
	}
	t.Run("dialect", func(t *testing.T) {
		t.Parallel()
		_, err := parseCrontab("* * * * *", "vixie")
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "dialect" || fe.Value != "vixie" {
			t.Errorf("unknown dialect: %v", err)
		}
	})
}

// ctVectorLines returns the raw lines of a conformance vector file, or skips
// the test when the file is not there.
func ctVectorLines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "conformance", name))
	if err != nil {
		tb.Skip("conformance vectors not available:", err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// ctTrigger is the part of a trigger definition this file looks at.
type ctTrigger struct {
	Type     string      `json:"type"`
	Expr     string      `json:"expr"`
	Dialect  string      `json:"dialect"`
	Timezone string      `json:"timezone"`
	Triggers []ctTrigger `json:"triggers"`
}

// walk calls fn for every crontab definition in t, with the field path to it.
func (t ctTrigger) walk(path string, fn func(path string, c ctTrigger)) {
	if t.Type == "crontab" {
		fn(path, t)
	}
	for i, c := range t.Triggers {
		c.walk(fmt.Sprintf("%striggers[%d].", path, i), fn)
	}
}

func TestCrontabVectors(t *testing.T) {
	t.Parallel()
	var n int
	for _, line := range ctVectorLines(t, "triggers.jsonl") {
		var c struct {
			ID      string    `json:"id"`
			Trigger ctTrigger `json:"trigger"`
			Start   string    `json:"start"`
			Expect  []string  `json:"expect"`
			Done    bool      `json:"done"`
		}
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		// Every crontab string, also inside and / or, must parse.
		c.Trigger.walk("", func(path string, ct ctTrigger) {
			if _, err := parseCrontab(ct.Expr, ct.Dialect); err != nil {
				t.Errorf("%s: %sexpr %q: %v", c.ID, path, ct.Expr, err)
			}
		})
		if !strings.HasPrefix(c.ID, "crontab-") {
			continue
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			s, err := parseCrontab(c.Trigger.Expr, c.Trigger.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := time.LoadLocation(c.Trigger.Timezone)
			if err != nil {
				t.Fatal(err)
			}
			start, err := time.Parse(time.RFC3339Nano, c.Start)
			if err != nil {
				t.Fatal(err)
			}
			x := start.Unix()
			if start.Nanosecond() != 0 {
				x++
			}
			var got []string
			next, ok := s.nextInstant(loc, x)
			for ok && len(got) < 12 {
				got = append(got, time.Unix(next, 0).In(loc).Format("2006-01-02T15:04:05-07:00"))
				next, ok = s.nextInstant(loc, next+1)
			}
			if !reflect.DeepEqual(got, c.Expect) && !(len(got) == 0 && len(c.Expect) == 0) {
				t.Errorf("%q dialect %q in %s from %s:\n got %q\nwant %q", c.Trigger.Expr, c.Trigger.Dialect, loc, c.Start, got, c.Expect)
			}
			if done := !ok; done != c.Done {
				t.Errorf("done = %v, want %v", done, c.Done)
			}
		})
	}
	if n == 0 {
		t.Error("no crontab vectors found")
	}
}

func TestCrontabInvalidVectors(t *testing.T) {
	t.Parallel()
	var n int
	for _, line := range ctVectorLines(t, "invalid.jsonl") {
		var c struct {
			ID      string    `json:"id"`
			Trigger ctTrigger `json:"trigger"`
			Field   string    `json:"field"`
		}
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		c.Trigger.walk("", func(path string, ct ctTrigger) {
			_, err := parseCrontab(ct.Expr, ct.Dialect)
			if c.Field != path+"expr" {
				if err != nil {
					t.Errorf("%s: %sexpr %q is not the field to blame (%s) but is rejected: %v", c.ID, path, ct.Expr, c.Field, err)
				}
				return
			}
			n++
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "expr" {
				t.Errorf("%s: %q dialect %q: got %v, want a FieldError for expr", c.ID, ct.Expr, ct.Dialect, err)
			}
		})
	}
	if n == 0 {
		t.Error("no crontab rejects found")
	}
}

// FuzzParseCrontab checks that parsing never panics, is deterministic, and
// that the search over an accepted spec yields strictly increasing matching
// times with no matching second skipped over short stretches.
func FuzzParseCrontab(f *testing.F) {
	for _, name := range []string{"triggers.jsonl", "invalid.jsonl"} {
		for _, line := range ctVectorLines(f, name) {
			var c struct {
				Trigger ctTrigger `json:"trigger"`
			}
			if json.Unmarshal(line, &c) != nil {
				continue
			}
			c.Trigger.walk("", func(_ string, ct ctTrigger) {
				f.Add(ct.Expr, ct.Dialect == "quartz")
			})
		}
	}
	f.Add("0 0 * * 5-0", false)
	f.Add("0 0 ? * ?", false)
	f.Add("0 0 0 L,LW,15W * 1#5,2L", false)
	f.Add("0 0 0 ? * 7-1/2 2099", true)
	start := time.Date(2024, 2, 28, 23, 59, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, expr string, quartz bool) {
		if len(expr) > 256 {
			return
		}
		dialect := "standard"
		if quartz {
			dialect = "quartz"
		}
		s, err := parseCrontab(expr, dialect)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "expr" {
				t.Fatalf("%q: error %v is not a FieldError for expr", expr, err)
			}
			return
		}
		again, err := parseCrontab(expr, dialect)
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("%q: second parse differs: %v", expr, err)
		}
		prev := start - 1
		for i := 0; i < 20; i++ {
			next, ok := s.nextInstant(time.UTC, prev+1)
			if !ok {
				return
			}
			if next <= prev || next == math.MaxInt64 {
				t.Fatalf("%q: fire %d at %d is not after %d", expr, i, next, prev)
			}
			if !s.matchesWall(next) {
				t.Fatalf("%q: fire %s does not match", expr, time.Unix(next, 0).UTC())
			}
			if next-prev <= 120 {
				for w := prev + 1; w < next; w++ {
					if s.matchesWall(w) {
						t.Fatalf("%q: %s matches but was skipped", expr, time.Unix(w, 0).UTC())
					}
				}
			}
			prev = next
		}
	})
}
