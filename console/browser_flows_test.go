package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Laptop-sized window of the browser tests.
const winW, winH = 1280, 900

func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	e := setup(t)
	b := newBrowser(t, e, winW, winH)
	b.open("/jobs")
	if loc := b.location(); !strings.Contains(loc, "/login?next=%2Fjobs") {
		t.Fatalf("signed out, /jobs went to %s; want the sign-in page", loc)
	}
	b.run("wrong password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "nope"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	b.screenshot("wrong-password")
	b.run("right password",
		chromedp.SendKeys(chromedp.CSS("#login-password"), "admin-pw"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who-name")),
	)
	if got := b.text("#who-name"); got != "admin" {
		t.Errorf("signed in as %q", got)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/jobs") {
		t.Errorf("after sign-in at %s; want back at /jobs", loc)
	}
	b.screenshot("signed-in")
	b.run("sign out", chromedp.Click(chromedp.CSS(".who button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#login-name")))
}

// An operator creates a cron job through the form, with the preview
// following the fields, and finds it listed with its next run.
func TestBrowserCreateCronJob(t *testing.T) {
	t.Parallel()
	e := setup(t)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs")
	b.run("new job", chromedp.Click(chromedp.CSS("#new-job")), chromedp.WaitVisible(chromedp.CSS("#job-form")))
	b.choose("#f-task", taskEcho)
	b.typeInto("#f-id", "daily-report")
	b.typeInto("#f-name", "Daily report")
	b.typeInto("#t-cron-day_of_week", "mon-fri")
	b.typeInto("#t-cron-hour", "9")
	b.typeInto("#t-cron-minute", "30")
	b.typeInto("#f-timezone", "Asia/Shanghai")
	b.typeInto("#f-kwargs", `{"recipients": ["ops@example.com"]}`)
	b.waitFor("the preview describes the trigger",
		`document.getElementById('preview-words').textContent === 'at 09:30 on Monday through Friday (Asia/Shanghai)' && document.querySelectorAll('#preview-fires li').length === 10`)
	first := b.text("#preview-fires li:first-child .zoned")
	if !strings.Contains(first, "09:30:00 +08:00") {
		t.Errorf("first previewed fire %q; want 09:30 at +08:00", first)
	}
	b.screenshot("form")
	b.run("create", chromedp.Click(chromedp.CSS("#job-submit")), chromedp.WaitVisible(chromedp.CSS("#job-trigger-words")))
	job, err := e.s.GetJob(context.Background(), "daily-report")
	if err != nil {
		t.Fatalf("the job was not created: %v", err)
	}
	if job.Name != "Daily report" || job.Task != taskEcho || string(job.Kwargs) != `{"recipients":["ops@example.com"]}` ||
		job.Trigger.Describe() != "at 09:30 on Monday through Friday (Asia/Shanghai)" {
		t.Errorf("created %+v with trigger %q", job, job.Trigger.Describe())
	}
	b.screenshot("job")
	b.open("/jobs")
	row := `#jobs-table tr[data-job-row="daily-report"]`
	want := job.NextRunTime.In(job.Trigger.Location()).Format("2006-01-02 15:04:05 MST -07:00")
	if got := b.text(row + " .next-run .zoned"); got != want {
		t.Errorf("listed next run %q, want %q", got, want)
	}
	b.waitFor("the next run in the browser's zone", `document.querySelector('`+row+` time.local').textContent.startsWith('yours: ')`)
	if got := b.text(row + " .trigger-words"); got != "at 09:30 on Monday through Friday (Asia/Shanghai)" {
		t.Errorf("listed trigger %q", got)
	}
	b.screenshot("jobs")
}

// A wrong cron field is shown next to that field, from the preview and
// from the submit, and nothing is created.
func TestBrowserInvalidCron(t *testing.T) {
	t.Parallel()
	e := setup(t)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs/new")
	b.choose("#f-task", taskEcho)
	b.typeInto("#f-id", "bad-hour")
	b.typeInto("#t-cron-hour", "25")
	b.waitFor("the preview's error next to the hour", `!document.getElementById('err-t-cron-hour').hidden`)
	if got := b.text("#err-t-cron-hour"); !strings.Contains(got, `"25" is out of range 0-23`) {
		t.Errorf("hour error %q", got)
	}
	b.run("submit", chromedp.Click(chromedp.CSS("#job-submit")))
	b.waitFor("the server's error next to the hour", `!document.getElementById('err-t-cron-hour').hidden && document.activeElement.id === 't-cron-hour'`)
	var invalid string
	b.eval(`document.getElementById('t-cron-hour').getAttribute('aria-invalid')`, &invalid)
	if invalid != "true" {
		t.Errorf("hour input aria-invalid=%q", invalid)
	}
	b.screenshot("invalid-hour")
	if jobs, _ := e.s.ListJobs(context.Background(), sundialJobs()); len(jobs) != 0 {
		t.Errorf("a refused form created %d jobs", len(jobs))
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/jobs/new") {
		t.Errorf("left the form for %s", loc)
	}
	// Invalid JSON is caught before anything is sent.
	b.typeInto("#t-cron-hour", "9")
	b.waitFor("the hour error clears", `document.getElementById('err-t-cron-hour').hidden`)
	b.typeInto("#f-args", `["a",`)
	b.run("submit", chromedp.Click(chromedp.CSS("#job-submit")))
	b.waitFor("the args error", `!document.getElementById('err-f-args').hidden`)
	if got := b.text("#err-f-args"); !strings.Contains(got, "not valid JSON") {
		t.Errorf("args error %q", got)
	}
	if jobs, _ := e.s.ListJobs(context.Background(), sundialJobs()); len(jobs) != 0 {
		t.Errorf("invalid args created %d jobs", len(jobs))
	}
	// In the JSON editor, an error deep in an "or" shows next to the JSON.
	b.choose("#f-trigger-type", "json")
	b.typeInto("#t-json", `{"type": "or", "triggers": [{"type": "cron", "hour": "9"}, {"type": "cron", "hour": "30"}]}`)
	b.waitFor("the child's error at the JSON", `!document.getElementById('err-t-json').hidden`)
	if got := b.text("#err-t-json"); !strings.Contains(got, "triggers[1].hour") || !strings.Contains(got, "out of range") {
		t.Errorf("JSON trigger error %q", got)
	}
	b.screenshot("json-error")
}

// Run now: the operator starts a run from the jobs page and follows it to
// its success and output, which the run page shows when the run ends.
func TestBrowserRunNow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("greeter", "Greeter", taskEcho, `{"type": "cron", "hour": "4"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs")
	b.run("run now",
		chromedp.Click(chromedp.CSS(`button[data-action="job-run"][data-job="greeter"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flash a")),
	)
	b.screenshot("submitted")
	b.run("open the run",
		chromedp.Click(chromedp.CSS("#flash a")),
		chromedp.WaitVisible(chromedp.CSS("#run-status .status-succeeded")),
	)
	if got := strings.TrimSpace(b.text("#run-output")); got != "hello from greeter" {
		t.Errorf("run output %q", got)
	}
	b.screenshot("succeeded")
	runs, _ := e.s.ListRuns(context.Background(), runsOf("greeter"))
	if len(runs) != 1 || !runs[0].Manual {
		t.Errorf("runs after run now: %+v", runs)
	}
}

// The runs page adds runs from the event stream as they happen.
func TestBrowserRunsLive(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("ticker", "Ticker", taskEcho, `{"type": "cron", "hour": "4"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("viewer")
	b.open("/runs")
	b.waitFor("the stream is open", `document.getElementById('live-state').classList.contains('on')`)
	run := e.runNow("ticker")
	b.waitFor("the new run at the top",
		fmt.Sprintf(`(() => { const r = document.querySelector('#runs-table tbody tr'); return r && r.dataset.run === %q && !!r.querySelector('.status-succeeded'); })()`, run.ID))
	b.screenshot("live")
}

func TestBrowserPauseResume(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("nightly", "Nightly", taskEcho, `{"type": "cron", "hour": "2"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs")
	b.run("pause",
		chromedp.Click(chromedp.CSS(`button[data-action="job-pause"][data-job="nightly"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="job-resume"][data-job="nightly"]`)),
	)
	if got := b.text(`tr[data-job-row="nightly"] .next-run`); got != "paused" {
		t.Errorf("next run of a paused job: %q", got)
	}
	if j, _ := e.s.GetJob(context.Background(), "nightly"); !j.Paused {
		t.Error("the job is not paused")
	}
	b.screenshot("paused")
	b.run("resume",
		chromedp.Click(chromedp.CSS(`button[data-action="job-resume"][data-job="nightly"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="job-pause"][data-job="nightly"]`)),
	)
	if j, _ := e.s.GetJob(context.Background(), "nightly"); j.Paused || j.NextRunTime.IsZero() {
		t.Error("the job is not resumed")
	}
	b.screenshot("resumed")
}

// Editing the trigger changes the preview as the user types, and saving
// changes the job.
func TestBrowserEditTrigger(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("digest", "Digest", taskEcho, `{"type": "cron", "hour": "9", "timezone": "Europe/Berlin"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs/digest")
	b.run("edit", chromedp.Click(chromedp.CSS("#edit-job")), chromedp.WaitVisible(chromedp.CSS("#job-form")))
	b.waitFor("the preview of the stored trigger", `document.querySelectorAll('#preview-fires li').length === 10`)
	before := b.text("#preview-words")
	if before != "at 09:00 (Europe/Berlin)" {
		t.Errorf("preview of the stored trigger: %q", before)
	}
	b.typeInto("#t-cron-hour", "21")
	b.typeInto("#t-cron-minute", "15")
	b.waitFor("the preview follows", `document.getElementById('preview-words').textContent === 'at 21:15 (Europe/Berlin)'`)
	if got := b.text("#preview-fires li:first-child .zoned"); !strings.Contains(got, " 21:15:00 ") {
		t.Errorf("first fire after the edit: %q", got)
	}
	b.screenshot("edited")
	b.run("save", chromedp.Click(chromedp.CSS("#job-submit")), chromedp.WaitVisible(chromedp.CSS("#job-trigger-words")))
	if got := b.text("#job-trigger-words"); got != "at 21:15 (Europe/Berlin)" {
		t.Errorf("job page trigger %q", got)
	}
	j, err := e.s.GetJob(context.Background(), "digest")
	if err != nil || j.Trigger.Describe() != "at 21:15 (Europe/Berlin)" {
		t.Errorf("stored trigger after edit: %v %v", j.Trigger.Describe(), err)
	}
	// An interval job edits as "every N units".
	e.addJob("poll", "Poll", taskEcho, `{"type": "interval", "hours": 1, "minutes": 30}`)
	b.open("/jobs/poll/edit")
	var every, unit string
	b.eval(`document.getElementById('t-interval-every').value`, &every)
	b.eval(`document.getElementById('t-interval-unit').value`, &unit)
	if every != "90" || unit != "minutes" {
		t.Errorf("interval in the form: %s %s, want 90 minutes", every, unit)
	}
}

// Delete asks first; cancel keeps the job, confirm removes it.
func TestBrowserDelete(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("old-job", "Old job", taskEcho, `{"type": "cron", "hour": "5"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("operator")
	b.open("/jobs/old-job")
	del := `button[data-action="job-delete"]`
	b.run("ask", chromedp.Click(chromedp.CSS(del)), chromedp.WaitVisible(chromedp.CSS("#confirm-delete-ok")))
	if got := b.text("#confirm-delete-name"); got != "Old job" {
		t.Errorf("dialog names %q", got)
	}
	b.screenshot("confirm")
	b.run("cancel", chromedp.Click(chromedp.CSS("#confirm-delete-cancel")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-delete")))
	if _, err := e.s.GetJob(context.Background(), "old-job"); err != nil {
		t.Fatalf("cancel deleted the job: %v", err)
	}
	b.run("delete",
		chromedp.Click(chromedp.CSS(del)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-delete-ok")),
		chromedp.Click(chromedp.CSS("#confirm-delete-ok")),
		chromedp.WaitVisible(chromedp.CSS("#no-jobs")),
	)
	if _, err := e.s.GetJob(context.Background(), "old-job"); err == nil {
		t.Error("the job is still there")
	}
	if got := b.text("#flash"); got != "Job old-job deleted." {
		t.Errorf("flash %q", got)
	}
	b.screenshot("deleted")
}

// A viewer sees no change buttons, and a change forced from the viewer's
// page with the session (and its CSRF token) is refused by the server.
func TestBrowserViewerCannotChange(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("guarded", "Guarded", taskEcho, `{"type": "cron", "hour": "6"}`)
	b := newBrowser(t, e, winW, winH)
	b.login("viewer")
	for _, path := range []string{"/", "/jobs", "/jobs/guarded", "/runs"} {
		b.open(path)
		if n := b.nodeCount("button[data-action], #new-job, #edit-job, dialog"); n != 0 {
			t.Errorf("viewer sees %d change controls on %s", n, path)
		}
	}
	b.open("/jobs")
	var statuses []int
	b.eval(`(async () => {
		const token = document.querySelector('meta[name="csrf-token"]').content;
		const out = [];
		for (const h of [{'X-CSRF-Token': token}, {}]) {
			const r = await fetch('/api/v1/jobs/guarded/pause', {method: 'POST', headers: h, credentials: 'same-origin'});
			out.push(r.status);
		}
		const d = await fetch('/api/v1/jobs/guarded', {method: 'DELETE', headers: {'X-CSRF-Token': token}});
		out.push(d.status);
		return out;
	})()`, &statuses)
	if fmt.Sprint(statuses) != "[403 403 403]" {
		t.Errorf("forced changes from the viewer's page answered %v, want [403 403 403]", statuses)
	}
	if j, err := e.s.GetJob(context.Background(), "guarded"); err != nil || j.Paused {
		t.Errorf("the viewer changed the job: %+v %v", j, err)
	}
	// At a phone's width the page still fits without sideways scrolling.
	b.run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("/jobs")
	var fits bool
	b.eval(`document.documentElement.scrollWidth <= window.innerWidth`, &fits)
	if !fits {
		t.Error("the jobs page is wider than a phone's screen")
	}
	b.screenshot("phone")
}

// A job named with markup shows as text everywhere, and no script of its
// name runs.
func TestBrowserEscapesMarkup(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const evil = `<script>alert(1)</script>`
	e.addJob("evil", evil, taskEcho, `{"type": "interval", "minutes": 7}`)
	b := newBrowser(t, e, winW, winH)
	b.login("admin")
	b.open("/jobs")
	if got := b.text(`tr[data-job-row="evil"] .job-name`); got != evil {
		t.Errorf("jobs page shows the name as %q", got)
	}
	b.open("/jobs/evil")
	if got := b.text(".job-title"); got != evil {
		t.Errorf("job page shows the name as %q", got)
	}
	b.open("/")
	b.run("run now from the job page", chromedp.Navigate(e.ts.URL+"/jobs/evil"),
		chromedp.Click(chromedp.CSS(`button[data-action="job-run"]`)), chromedp.WaitVisible(chromedp.CSS("#flash a")))
	b.run("delete dialog", chromedp.Click(chromedp.CSS(`button[data-action="job-delete"]`)), chromedp.WaitVisible(chromedp.CSS("#confirm-delete-ok")))
	if got := b.text("#confirm-delete-name"); got != evil {
		t.Errorf("the dialog shows the name as %q", got)
	}
	b.screenshot("escaped")
	if n := b.nodeCount("main script, dialog script"); n != 0 {
		t.Errorf("%d script elements in the page's content", n)
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}
