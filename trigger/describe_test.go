package trigger

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	_ "time/tzdata"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		def  string
		want string
	}{
		// The examples the console shows.
		{"cron weekdays", `{"type":"cron","day_of_week":"mon-fri","hour":9,"minute":30,"timezone":"Asia/Shanghai"}`,
			"at 09:30 on Monday through Friday (Asia/Shanghai)"},
		{"interval", `{"type":"interval","minutes":5,"start_date":"2024-01-01T00:00:00Z","timezone":"UTC"}`,
			"every 5 minutes from 2024-01-01 00:00 (UTC)"},
		{"crontab office hours", `{"type":"crontab","expr":"*/5 9-17 * * mon-fri"}`,
			"every 5 minutes from 09:00 through 17:55 on Monday through Friday (UTC)"},
		{"date", `{"type":"date","run_date":"2024-06-01T12:00:00","timezone":"Asia/Shanghai"}`,
			"once at 2024-06-01 12:00:00 +08:00 (Asia/Shanghai)"},
		{"calendar interval from the 31st", `{"type":"calendarinterval","months":1,"hour":9,"start_date":"2024-01-31","timezone":"Europe/Berlin"}`,
			"every month at 09:00:00 from 2024-01-31, skipping months without a day 31 (Europe/Berlin)"},
		{"and", `{"type":"and","triggers":[{"type":"crontab","expr":"0 9 * * mon"},{"type":"crontab","expr":"0 9 1-7 * *"}]}`,
			"when all of: at 09:00 on Monday (UTC); at 09:00 on days 1 through 7 of the month (UTC)"},
		{"or with a nested and", `{"type":"or","triggers":[{"type":"and","triggers":[{"type":"cron","hour":9},{"type":"cron","day_of_week":"sat","hour":"*"}]},{"type":"date","run_date":"2024-06-01"}]}`,
			"when any of: [when all of: at 09:00 (UTC); every hour on Saturday (UTC)]; once at 2024-06-01 00:00:00 +00:00 (UTC)"},

		// Seconds, minutes, hours.
		{"every second", `{"type":"cron","second":"*"}`, "every second (UTC)"},
		{"every minute", `{"type":"cron","minute":"*"}`, "every minute (UTC)"},
		{"second of every minute", `{"type":"cron","second":30}`, "at second 30 of every minute (UTC)"},
		{"every 15 minutes", `{"type":"crontab","expr":"*/15 * * * *"}`, "every 15 minutes (UTC)"},
		{"minute list", `{"type":"cron","minute":"0,15,45"}`, "at minutes 0, 15 and 45 past every hour (UTC)"},
		{"minute step not dividing the hour", `{"type":"cron","minute":"*/7"}`,
			"every 7th minute from 0 through 56 past every hour (UTC)"},
		{"hour range", `{"type":"cron","hour":"9-17"}`, "every hour from 09:00 through 17:00 (UTC)"},
		{"every 2 hours", `{"type":"crontab","expr":"0 */2 * * *"}`, "every 2 hours (UTC)"},
		{"times with seconds", `{"type":"crontab","expr":"30 0 9,17 * * *"}`, "at 09:00:30 and 17:00:30 (UTC)"},
		{"hour windows", `{"type":"crontab","expr":"* 3,8,10 * * *"}`,
			"every minute from 03:00 through 03:59, from 08:00 through 08:59 and from 10:00 through 10:59 (UTC)"},
		{"minutes of chosen hours", `{"type":"cron","hour":"9-17","minute":"0,15,45"}`,
			"at minutes 0, 15 and 45 past hours 9 through 17 (UTC)"},
		{"seconds steps within minutes", `{"type":"crontab","expr":"*/10 0,30 8 * * *"}`,
			"every 10 seconds during minutes 0 and 30 past hour 8 (UTC)"},
		{"quartz hours wrap", `{"type":"crontab","expr":"0 0 22-2 ? * FRI-MON","dialect":"quartz"}`,
			"at 00:00, 01:00, 02:00, 22:00 and 23:00 on Monday and Friday through Sunday (UTC)"},

		// Days of the month.
		{"day list with last", `{"type":"cron","day":"1,15,last"}`, "at 00:00 on days 1, 15 and the last day of the month (UTC)"},
		{"2nd friday", `{"type":"cron","day":"2nd fri","hour":9}`, "at 09:00 on the 2nd Friday of the month (UTC)"},
		{"last sunday", `{"type":"cron","day":"last sun","hour":1}`, "at 01:00 on the last Sunday of the month (UTC)"},
		{"L", `{"type":"crontab","expr":"0 18 L * *"}`, "at 18:00 on the last day of the month (UTC)"},
		{"L-3", `{"type":"crontab","expr":"0 12 L-3 * *"}`, "at 12:00 on the 4th-to-last day of the month (UTC)"},
		{"15W", `{"type":"crontab","expr":"0 9 15W * *"}`, "at 09:00 on the weekday nearest day 15 of the month (UTC)"},
		{"LW", `{"type":"crontab","expr":"0 9 LW * *"}`, "at 09:00 on the last weekday of the month (UTC)"},
		{"5#3", `{"type":"crontab","expr":"0 12 * * 5#3"}`, "at 12:00 on the 3rd Friday of the month (UTC)"},
		{"5L", `{"type":"crontab","expr":"0 12 * * 5L"}`, "at 12:00 on the last Friday of the month (UTC)"},
		{"quartz 2#1", `{"type":"crontab","expr":"0 0 12 ? * 2#1","dialect":"quartz"}`, "at 12:00 on the 1st Monday of the month (UTC)"},

		// How the day fields combine.
		{"vixie or", `{"type":"crontab","expr":"0 0 1 * mon"}`, "at 00:00 on day 1 of the month or on Monday (UTC)"},
		{"vixie star leaves the day to the weekday", `{"type":"crontab","expr":"0 0 */10 * mon"}`,
			"at 00:00 on days 1, 11, 21 and 31 of the month if they fall on Monday (UTC)"},
		{"cron and", `{"type":"cron","day":13,"day_of_week":"fri"}`, "at 00:00 on day 13 of the month if it falls on Friday (UTC)"},
		{"vixie or with every day", `{"type":"crontab","expr":"0 0 1-31 * mon"}`, "at 00:00 (UTC)"},
		{"never", `{"type":"crontab","expr":"0 0 30 2 *"}`, "at 00:00 on day 30 of the month in February, which never happens (UTC)"},

		// Weekdays in every numbering.
		{"cron 0 is monday", `{"type":"cron","day_of_week":"0","hour":8}`, "at 08:00 on Monday (UTC)"},
		{"crontab weekends", `{"type":"crontab","expr":"0 0 * * 6,0"}`, "at 00:00 on Saturday and Sunday (UTC)"},
		{"crontab range to 7", `{"type":"crontab","expr":"0 18 * * 5-7"}`, "at 18:00 on Friday through Sunday (UTC)"},
		{"quartz numbering", `{"type":"crontab","expr":"0 30 9 ? * 2-6","dialect":"quartz"}`, "at 09:30 on Monday through Friday (UTC)"},

		// Months, years, ISO weeks.
		{"months and years", `{"type":"cron","year":"2029,2030","month":"jan,jul","day":1}`,
			"at 00:00 on day 1 of the month in January and July of 2029 and 2030 (UTC)"},
		{"month and day", `{"type":"crontab","expr":"59 23 31 12 *"}`, "at 23:59 on December 31 (UTC)"},
		{"year range", `{"type":"crontab","expr":"0 15 10 ? * 6L 2025-2027","dialect":"quartz"}`,
			"at 10:15 on the last Friday of the month in 2025 through 2027 (UTC)"},
		{"iso weeks", `{"type":"cron","week":"1-10","day_of_week":"mon","hour":9}`, "at 09:00 on Monday in ISO weeks 1 through 10 (UTC)"},

		// Macros.
		{"@daily", `{"type":"crontab","expr":"@daily"}`, "at 00:00 (UTC)"},
		{"@hourly", `{"type":"crontab","expr":"@hourly"}`, "every hour (UTC)"},
		{"@weekly", `{"type":"crontab","expr":"@weekly"}`, "at 00:00 on Sunday (UTC)"},
		{"@yearly", `{"type":"crontab","expr":"@yearly","timezone":"Europe/Berlin"}`, "at 00:00 on January 1 (Europe/Berlin)"},

		// Dates, jitter, fallbacks.
		{"start end jitter", `{"type":"cron","hour":9,"start_date":"2024-01-01","end_date":"2024-12-31T18:00:00","jitter":30,"timezone":"Europe/Berlin"}`,
			"at 09:00 from 2024-01-01 00:00 until 2024-12-31 18:00, with up to 30 s of random delay (Europe/Berlin)"},
		{"fractional jitter", `{"type":"crontab","expr":"0 * * * *","jitter":1.5}`, "every hour, with up to 1.5 s of random delay (UTC)"},
		{"irregular crontab quoted", `{"type":"crontab","expr":"1,3,5,8,13,21,34,44,55 * * * *"}`,
			`matching cron "1,3,5,8,13,21,34,44,55 * * * *" (UTC)`},
		{"irregular quartz quoted", `{"type":"crontab","expr":"0 1,3,5,8,13,21,34,44,55 * * * ?","dialect":"quartz","timezone":"Asia/Tokyo"}`,
			`matching quartz cron "0 1,3,5,8,13,21,34,44,55 * * * ?" (Asia/Tokyo)`},
		{"interval units", `{"type":"interval","hours":1,"minutes":30}`, "every 1 hour and 30 minutes (UTC)"},
		{"interval days across dst", `{"type":"interval","days":1,"start_date":"2024-03-01T09:00:00","end_date":"2024-04-01T09:00:00.5","timezone":"Europe/Berlin"}`,
			"every day from 2024-03-01 09:00 until 2024-04-01 09:00:00.5, counting a day as exactly 24 hours (Europe/Berlin)"},
		{"interval days without dst", `{"type":"interval","weeks":2,"timezone":"Asia/Shanghai","jitter":5}`,
			"every 2 weeks, with up to 5 s of random delay (Asia/Shanghai)"},
		{"date fraction", `{"type":"date","run_date":"2024-06-01T12:00:00.25-04:00","timezone":"America/New_York"}`,
			"once at 2024-06-01 12:00:00.25 -04:00 (America/New_York)"},
		{"calendar interval leap day", `{"type":"calendarinterval","years":1,"start_date":"2024-02-29","end_date":"2030-01-01"}`,
			"every year at 00:00:00 from 2024-02-29 until 2030-01-01, skipping years without February 29 (UTC)"},
		{"calendar interval mixed units", `{"type":"calendarinterval","months":1,"days":1,"hour":7,"minute":30,"second":15,"start_date":"2024-01-10"}`,
			"every 1 month and 1 day at 07:30:15 from 2024-01-10, skipping dates that do not exist (UTC)"},
		{"calendar interval weeks", `{"type":"calendarinterval","weeks":2,"hour":18}`, "every 2 weeks at 18:00:00 (UTC)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trig, err := Parse([]byte(tt.def))
			if err != nil {
				t.Fatalf("parse %s: %v", tt.def, err)
			}
			if got := trig.Describe(); got != tt.want {
				t.Errorf("%s\n got  %q\n want %q", tt.def, got, tt.want)
			}
		})
	}
}

// TestDescribeDialects checks that the same schedule reads the same in
// every weekday numbering: the describer works from the compiled spec.
func TestDescribeDialects(t *testing.T) {
	t.Parallel()
	const want = "at 12:00 on Sunday (UTC)"
	for _, def := range []string{
		`{"type":"crontab","expr":"0 12 * * 0"}`,
		`{"type":"crontab","expr":"0 12 * * 7"}`,
		`{"type":"crontab","expr":"0 12 * * sun"}`,
		`{"type":"crontab","expr":"0 0 12 ? * 1","dialect":"quartz"}`,
		`{"type":"crontab","expr":"0 0 12 ? * SUN","dialect":"quartz"}`,
		`{"type":"cron","day_of_week":6,"hour":12}`,
		`{"type":"cron","day_of_week":"sun","hour":12}`,
	} {
		trig, err := Parse([]byte(def))
		if err != nil {
			t.Fatalf("parse %s: %v", def, err)
		}
		if got := trig.Describe(); got != want {
			t.Errorf("%s: got %q, want %q", def, got, want)
		}
	}
}

// TestDescribeConformance describes every trigger of the conformance
// vectors: never empty, stable, and ending with the zone.
func TestDescribeConformance(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "testdata", "conformance", "triggers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	n := 0
	for sc.Scan() {
		var c struct {
			ID      string          `json:"id"`
			Trigger json.RawMessage `json:"trigger"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		trig, err := Parse(c.Trigger)
		if err != nil {
			t.Fatalf("%s: parse %s: %v", c.ID, c.Trigger, err)
		}
		n++
		got := trig.Describe()
		switch {
		case got == "" || strings.Contains(got, "  "):
			t.Errorf("%s: %s described as %q", c.ID, c.Trigger, got)
		case got != trig.Describe():
			t.Errorf("%s: description not stable", c.ID)
		case trig.Type() != "and" && trig.Type() != "or" && !strings.HasSuffix(got, " ("+trig.Location().String()+")"):
			t.Errorf("%s: %q does not end with the zone", c.ID, got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d trigger vectors", n)
	}
}
