package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// describe is the first line "sundial next" prints for def.
func describe(t *testing.T, def string) string {
	t.Helper()
	trig, err := trigger.ParseIn([]byte(def), time.UTC)
	if err != nil {
		t.Fatalf("parse %s: %v", def, err)
	}
	return trig.Describe()
}

func TestNextCrontab(t *testing.T) {
	t.Parallel()
	const expr = "*/5 9-17 * * mon-fri"
	want := []string{
		describe(t, `{"type":"crontab","expr":"*/5 9-17 * * mon-fri","timezone":"Asia/Shanghai"}`),
		"1  2024-01-05 17:45:00 +08:00 CST  Friday",
		"2  2024-01-05 17:50:00 +08:00 CST  Friday",
		"3  2024-01-05 17:55:00 +08:00 CST  Friday",
		"4  2024-01-08 09:00:00 +08:00 CST  Monday",
	}
	// Flags may come before, after or around the expression.
	for _, args := range [][]string{
		{"next", expr, "-n", "4", "--tz", "Asia/Shanghai", "--from", "2024-01-05T17:45:00+08:00"},
		{"next", "-n", "4", "--tz", "Asia/Shanghai", "--from", "2024-01-05T09:45:00Z", expr},
		{"next", "-n=4", expr, "--tz=Asia/Shanghai", "-from", "2024-01-05T17:44:59.5+08:00"},
		{"next", "-n", "4", "--tz", "Asia/Shanghai", "--from", "2024-01-05T17:45:00+08:00", "--", expr},
	} {
		r := runCmd(t, "", args...)
		if r.err != nil {
			t.Fatalf("%q: %v", args, r.err)
		}
		if got := lines(r.stdout); !slices.Equal(got, want) {
			t.Errorf("%q:\ngot  %q\nwant %q", args, got, want)
		}
	}
}

func TestNextJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		def  string // the definition whose Describe() heads the output
		want []string
	}{
		{
			name: "--tz is the default zone",
			args: []string{"next", "--json", `{"type":"cron","hour":"9"}`, "--tz", "Europe/Berlin", "-n", "3", "--from", "2024-03-30T00:00:00+01:00"},
			def:  `{"type":"cron","hour":"9","timezone":"Europe/Berlin"}`,
			want: []string{
				"1  2024-03-30 09:00:00 +01:00 CET  Saturday",
				"2  2024-03-31 09:00:00 +02:00 CEST  Sunday",
				"3  2024-04-01 09:00:00 +02:00 CEST  Monday",
			},
		},
		{
			name: "finished trigger",
			args: []string{"next", "--from", "2024-01-01T00:00:00Z", "--json", `{"type":"date","run_date":"2024-06-01T12:00:00","timezone":"Asia/Shanghai"}`},
			def:  `{"type":"date","run_date":"2024-06-01T12:00:00","timezone":"Asia/Shanghai"}`,
			want: []string{
				"1  2024-06-01 12:00:00 +08:00 CST  Saturday",
				"(no further fire times)",
			},
		},
		{
			name: "combinator times in each child's zone",
			args: []string{"next", "--from", "2024-01-01T00:00:00Z", "--json", `{"type":"or","triggers":[
				{"type":"date","run_date":"2024-06-01T09:00:00","timezone":"America/New_York"},
				{"type":"date","run_date":"2024-06-01T09:00:00","timezone":"Asia/Tokyo"}]}`},
			def: `{"type":"or","triggers":[
				{"type":"date","run_date":"2024-06-01T09:00:00","timezone":"America/New_York"},
				{"type":"date","run_date":"2024-06-01T09:00:00","timezone":"Asia/Tokyo"}]}`,
			want: []string{
				"1  2024-06-01 09:00:00 +09:00 JST  Saturday",
				"2  2024-06-01 09:00:00 -04:00 EDT  Saturday",
				"(no further fire times)",
			},
		},
		{
			name: "quartz dialect",
			args: []string{"next", "0 15 10 ? * 6L", "--dialect", "quartz", "--tz", "UTC", "-n", "2", "--from", "2024-01-01T00:00:00Z"},
			def:  `{"type":"crontab","expr":"0 15 10 ? * 6L","dialect":"quartz","timezone":"UTC"}`,
			want: []string{
				"1  2024-01-26 10:15:00 +00:00 UTC  Friday",
				"2  2024-02-23 10:15:00 +00:00 UTC  Friday",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, "", tt.args...)
			if r.err != nil {
				t.Fatal(r.err)
			}
			want := append([]string{describe(t, tt.def)}, tt.want...)
			if got := lines(r.stdout); !slices.Equal(got, want) {
				t.Errorf("\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

func TestNextDefaultCount(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "", "next", "--tz", "UTC", "@hourly")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := len(lines(r.stdout)); got != 11 {
		t.Errorf("printed %d lines, want a description and 10 fire times:\n%s", got, r.stdout)
	}
}

func TestNextErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantErr  string // substring of the error
		wantCode int
	}{
		{"no trigger", []string{"next"}, "missing trigger", 2},
		{"two expressions", []string{"next", "* * * * *", "0 * * * *"}, "too many arguments", 2},
		{"expression and json", []string{"next", "* * * * *", "--json", `{"type":"cron"}`}, "not both", 2},
		{"dialect with json", []string{"next", "--dialect", "quartz", "--json", `{"type":"cron"}`}, "--dialect", 2},
		{"zero count", []string{"next", "-n", "0", "* * * * *"}, "-n must be from 1 to", 2},
		{"huge count", []string{"next", "-n", "1000000", "* * * * *"}, "-n must be from 1 to", 2},
		{"bad count", []string{"next", "-n", "x", "* * * * *"}, `invalid value "x" for flag -n`, 2},
		{"bad zone", []string{"next", "--tz", "Mars/Olympus", "* * * * *"}, "--tz:", 2},
		{"bad from", []string{"next", "--from", "yesterday", "* * * * *"}, "--from:", 2},
		{"batch with flags", []string{"next", "--batch", "-n", "3"}, "--batch", 2},
		{"invalid crontab", []string{"next", "--tz", "UTC", "61 * * * *"}, "sundial next: invalid trigger: expr", 1},
		{"invalid json field", []string{"next", "--json", `{"type":"cron","hour":24}`}, "sundial next: invalid trigger: hour", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, "", tt.args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", r.err, tt.wantErr)
			}
			if got := exitCode(r.err); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d", got, tt.wantCode)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}
