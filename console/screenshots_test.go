package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// TestScreenshots saves the documentation's pictures of the console: with
// SUNDIAL_SCREENSHOTS=<dir> it fills a scheduler with a few realistic jobs
// and runs and writes console-overview.png, console-jobs.png and
// console-job.png to dir at a laptop's size.
//
//	SUNDIAL_SCREENSHOTS=$PWD/docs go test ./console -run TestScreenshots
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SUNDIAL_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SUNDIAL_SCREENSHOTS=<dir> to write the console's screenshots")
	}
	e := setup(t, withZone(mustZone("Europe/Berlin")))
	seedDemo(t, e)
	b := newBrowser(t, e, 1440, 900)
	b.login("admin")
	for _, shot := range []struct{ path, file, ready string }{
		{"/", "console-overview.png", "svg.timeline"},
		{"/jobs", "console-jobs.png", "#jobs-table"},
		{"/jobs/nightly-backup", "console-job.png", ".chart svg"},
	} {
		b.open(shot.path)
		b.run("wait for "+shot.path, chromedp.WaitVisible(chromedp.CSS(shot.ready)))
		b.waitFor("local times", `Array.from(document.querySelectorAll('time.local')).every(t => t.textContent !== '')`)
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, shot.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seedDemo adds the jobs and the run history of the screenshots.
func seedDemo(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	for _, task := range []string{"ops:backup", "billing:invoices", "cache:warm", "status:ping", "crm:sync", "reports:quarterly", "metrics:rollup"} {
		e.reg.Register(task, func(ctx context.Context, rc *sundial.RunContext) error { return nil })
	}
	jobs := []struct {
		id, name, task, trig, desc string
		tags                       []string
		paused                     bool
	}{
		{"nightly-backup", "Nightly database backup", "ops:backup",
			`{"type": "cron", "hour": "2", "minute": "30", "timezone": "Europe/Berlin"}`,
			"pg_dump of the orders database to object storage", []string{"ops", "db"}, false},
		{"invoices", "Send invoices", "billing:invoices",
			`{"type": "crontab", "expr": "0 9 * * mon-fri", "timezone": "Asia/Shanghai"}`,
			"Mail the day's invoices to customers", []string{"billing"}, false},
		{"cache-warm", "Warm the product cache", "cache:warm", `{"type": "interval", "minutes": 15}`,
			"", []string{"web"}, false},
		{"status-ping", "Ping the status page", "status:ping", `{"type": "interval", "minutes": 5}`,
			"", []string{"ops"}, false},
		{"crm-sync", "Sync CRM contacts", "crm:sync", `{"type": "cron", "minute": "*/20", "timezone": "UTC"}`,
			"Pull changed contacts from the CRM", []string{"sales"}, false},
		{"metrics-rollup", "Hourly metrics rollup", "metrics:rollup", `{"type": "cron", "minute": "45", "timezone": "UTC"}`,
			"", []string{"ops"}, false},
		{"quarterly-report", "Quarterly report", "reports:quarterly",
			`{"type": "calendarinterval", "months": 3, "hour": 8, "start_date": "2025-01-01", "timezone": "America/New_York"}`,
			"", []string{"finance"}, true},
	}
	for _, j := range jobs {
		if _, err := e.s.AddJob(ctx, sundial.JobSpec{ID: j.id, Name: j.name, Task: j.task, Trigger: trigger.MustParse(j.trig),
			Description: j.desc, Tags: j.tags, Paused: j.paused, Retry: &sundial.RetryPolicy{Attempts: 2, Backoff: 30 * time.Second}}); err != nil {
			t.Fatal(err)
		}
	}
	now := e.s.Now()
	berlin := mustZone("Europe/Berlin")
	// Two weeks of nightly backups, one of which failed.
	durations := []int{74, 81, 69, 92, 77, 88, 131, 79, 73, 84, 90, 76, 142, 80}
	day := time.Date(now.In(berlin).Year(), now.In(berlin).Month(), now.In(berlin).Day(), 2, 30, 0, 0, berlin)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	for i := len(durations) - 1; i >= 0; i-- {
		at := day.AddDate(0, 0, -i)
		status, errText, out := sundial.RunSucceeded, "", fmt.Sprintf("dumped orders: %d MB, uploaded to s3://backups/orders/%s.sql.gz\n", 2400+i*13, at.Format("2006-01-02"))
		if i == 6 {
			status, errText, out = sundial.RunFailed, "pg_dump: error: connection to server lost", "dumping orders…\n"
		}
		insertRun(t, e, "nightly-backup", at, time.Duration(durations[i])*time.Second, status, out, errText)
	}
	// The CRM sync fails now and then.
	for i := 5; i >= 0; i-- {
		at := now.Truncate(20 * time.Minute).Add(-time.Duration(i) * 20 * time.Minute)
		status, errText := sundial.RunSucceeded, ""
		if i == 1 || i == 4 {
			status, errText = sundial.RunFailed, "crm: GET /contacts?changed_since=…: 503 Service Unavailable"
		}
		insertRun(t, e, "crm-sync", at, time.Duration(3+i)*time.Second, status, "synced contacts\n", errText)
	}
	for i := 3; i >= 0; i-- {
		at := now.Truncate(5 * time.Minute).Add(-time.Duration(i) * 5 * time.Minute)
		insertRun(t, e, "status-ping", at, 180*time.Millisecond, sundial.RunSucceeded, "200 OK\n", "")
	}
	insertRun(t, e, "invoices", now.Add(-26*time.Hour), 47*time.Second, sundial.RunTimedOut, "sent 212 of 340 invoices\n", "timed out after 45s")
}

var demoRunSeq int

func insertRun(t *testing.T, e *env, job string, at time.Time, d time.Duration, status sundial.RunStatus, out, errText string) {
	t.Helper()
	demoRunSeq++
	start := at.Add(time.Duration(200+demoRunSeq*37%500) * time.Millisecond)
	r := &sundial.Run{ID: fmt.Sprintf("demo-%04d", demoRunSeq), JobID: job, ScheduledAt: at.UTC(), Attempt: 1, Status: status,
		Node: e.s.NodeID(), CreatedAt: at.UTC(), StartedAt: start.UTC(), FinishedAt: start.Add(d).UTC(), Output: out, Error: errText}
	if err := e.store.RunInsert(context.Background(), r, 0); err != nil {
		t.Fatal(err)
	}
}
