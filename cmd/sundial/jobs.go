package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

const jobsUsage = `Usage: sundial jobs <subcommand> [flags] [arguments]

Lists, adds, changes, pauses, runs and removes the jobs of a Sundial
server through its native API (/api/v1). Times are printed as the server
gives them, each in its job's trigger zone.

Examples:

	sundial jobs list --tag nightly
	sundial jobs add --id backup --task sundial:exec --trigger '0 3 * * *' \
		--args '["/opt/jobs/backup.sh"]' --tag nightly
	sundial jobs add --file job.json
	ETAG=$(sundial jobs get backup --json | jq -r .etag)
	sundial jobs edit backup --trigger '30 3 * * *' --if-match "$ETAG"
	sundial jobs run backup
`

func jobsSubs() []clientSub {
	return []clientSub{
		{"list", "list jobs, soonest next run first", jobsList},
		{"get", "show one job", jobsGet},
		{"add", "add a job", jobsAdd},
		{"edit", "change fields of a job", jobsEdit},
		{"pause", "pause a job", jobsPause},
		{"resume", "resume a paused job", jobsResume},
		{"run", "run a job now and print the run's id", jobsRun},
		{"rm", "remove jobs", jobsRemove},
	}
}

func runJobs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runClientGroup(ctx, "jobs", jobsUsage, jobsSubs(), args, stdin, stdout, stderr)
}

// jobPath is the API path of a job.
func jobPath(id string, more ...string) string {
	p := "/jobs/" + url.PathEscape(id)
	for _, m := range more {
		p += "/" + m
	}
	return p
}

// jobRow is what a table of jobs shows of a job.
type jobRow struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Task               string  `json:"task"`
	NextRunTime        *string `json:"next_run_time"`
	TriggerDescription string  `json:"trigger_description"`
	Paused             bool    `json:"paused"`
}

func (j jobRow) state() string {
	if j.Paused {
		return "paused"
	}
	return "scheduled"
}

const jobsListUsage = `Usage: sundial jobs list [flags]

Lists jobs, the soonest next run first and paused jobs last, as a table,
one page (--limit, server default 100) unless --all follows every page.
`

func jobsList(ctx context.Context, c *clientCmd, args []string) error {
	var task, tag, paused, text string
	var limit int
	var all bool
	c.fs.StringVar(&task, "task", "", "only jobs of this `task`")
	c.fs.StringVar(&tag, "tag", "", "only jobs with this `tag`")
	c.fs.StringVar(&paused, "paused", "", "only paused (true) or unpaused (false) jobs")
	c.fs.StringVar(&text, "q", "", "only jobs with this `text` in their id, name or description")
	c.fs.IntVar(&limit, "limit", 0, "jobs per page, 1 to 1000 (default: the server's, 100)")
	c.fs.BoolVar(&all, "all", false, "read every page, not only the first")
	if _, err := c.parse(args, jobsListUsage, 0, ""); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"task": task, "tag": tag, "q": text} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if paused != "" {
		b, err := strconv.ParseBool(paused)
		if err != nil {
			return usagef("--paused must be true or false, not %q", paused)
		}
		q.Set("paused", strconv.FormatBool(b))
	}
	if c.setFlags()["limit"] {
		q.Set("limit", strconv.Itoa(limit))
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	l, err := api.list(ctx, listQuery{path: "/jobs", query: q, key: "jobs", cursorParam: "cursor"}, all)
	if err != nil {
		return err
	}
	if c.flags.json {
		b, err := l.json("jobs")
		if err != nil {
			return err
		}
		return c.printRaw(b)
	}
	rows := make([][]string, 0, len(l.items))
	for _, item := range l.items {
		var j jobRow
		if err := json.Unmarshal(item, &j); err != nil {
			return fmt.Errorf("a job in the answer: %w", err)
		}
		rows = append(rows, []string{j.ID, j.Name, j.Task, orEmpty(j.NextRunTime), j.TriggerDescription, j.state()})
	}
	if err := writeTable(c.stdout, []string{"ID", "NAME", "TASK", "NEXT RUN", "TRIGGER", "STATE"}, rows); err != nil {
		return err
	}
	if l.next != "" {
		fmt.Fprintln(c.stderr, "(more jobs: add --all to list every page)")
	}
	return nil
}

const jobsGetUsage = `Usage: sundial jobs get [flags] ID

Shows a job as "key: value" lines, in the API's fields and order. Its etag
is what --if-match of "sundial jobs edit" takes.
`

func jobsGet(ctx context.Context, c *clientCmd, args []string) error {
	pos, err := c.parse(args, jobsGetUsage, 1, "job ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodGet, jobPath(pos[0]), nil, nil, nil)
	if err != nil {
		return err
	}
	return c.printJob(resp.body)
}

// printJob prints a job answered by the API: as sent with --json, else
// as fields.
func (c *clientCmd) printJob(body []byte) error {
	if c.flags.json {
		return c.printRaw(body)
	}
	return writeFields(c.stdout, body)
}

const jobsPauseUsage = `Usage: sundial jobs pause [flags] ID

Pauses a job: it has no next run until "sundial jobs resume".
`

func jobsPause(ctx context.Context, c *clientCmd, args []string) error {
	return c.pauseOrResume(ctx, args, jobsPauseUsage, "pause")
}

const jobsResumeUsage = `Usage: sundial jobs resume [flags] ID

Resumes a paused job: its next run is computed from now.
`

func jobsResume(ctx context.Context, c *clientCmd, args []string) error {
	return c.pauseOrResume(ctx, args, jobsResumeUsage, "resume")
}

func (c *clientCmd) pauseOrResume(ctx context.Context, args []string, usage, action string) error {
	pos, err := c.parse(args, usage, 1, "job ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodPost, jobPath(pos[0], action), nil, nil, nil)
	if err != nil {
		return err
	}
	if c.flags.json {
		return c.printRaw(resp.body)
	}
	var j jobRow
	if err := json.Unmarshal(resp.body, &j); err != nil {
		return fmt.Errorf("the answer is not a job: %w", err)
	}
	if j.Paused {
		_, err = fmt.Fprintf(c.stdout, "%s: paused\n", cell(j.ID))
	} else {
		_, err = fmt.Fprintf(c.stdout, "%s: next run %s\n", cell(j.ID), cell(orEmpty(j.NextRunTime)))
	}
	return err
}

const jobsRunUsage = `Usage: sundial jobs run [flags] ID

Starts a run of a job now, besides its schedule, and prints the run's id
for "sundial runs get" and "sundial runs logs". A run the job's
max_instances does not allow is recorded as skipped, and said so on
standard error.
`

func jobsRun(ctx context.Context, c *clientCmd, args []string) error {
	pos, err := c.parse(args, jobsRunUsage, 1, "job ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodPost, jobPath(pos[0], "run"), nil, nil, nil)
	if err != nil {
		return err
	}
	if c.flags.json {
		return c.printRaw(resp.body)
	}
	var r runRow
	if err := json.Unmarshal(resp.body, &r); err != nil || r.ID == "" {
		return errors.New("the answer is not a run")
	}
	if r.Status == "skipped" {
		fmt.Fprintf(c.stderr, "the run was skipped: %s\n", cell(r.Reason))
	}
	_, err = fmt.Fprintln(c.stdout, cell(r.ID))
	return err
}

const jobsRemoveUsage = `Usage: sundial jobs rm [flags] ID [ID...]

Removes jobs; their runs stay in the history. Every job is tried; the exit
status is that of the first that could not be removed.
`

func jobsRemove(ctx context.Context, c *clientCmd, args []string) error {
	pos, err := c.parse(args, jobsRemoveUsage, -1, "job ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range pos {
		if _, err := api.do(ctx, http.MethodDelete, jobPath(id), nil, nil, nil); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		if !c.flags.json {
			fmt.Fprintf(c.stdout, "%s: removed\n", cell(id))
		}
	}
	return errors.Join(errs...)
}
