package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

const runsUsage = `Usage: sundial runs <subcommand> [flags] [arguments]

Lists the runs of a Sundial server's jobs, newest first, shows one, and
prints a run's captured output, through the native API (/api/v1). Times
are printed as the server gives them.

Examples:

	sundial runs list --job backup --status failed
	sundial runs list --from 2024-05-01T00:00:00Z --to 2024-05-02T00:00:00Z --all
	sundial runs logs "$(sundial jobs run backup)"
`

func runsSubs() []clientSub {
	return []clientSub{
		{"list", "list runs, newest first", runsList},
		{"get", "show one run", runsGet},
		{"logs", "print a run's output", runsLogs},
	}
}

func runRuns(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runClientGroup(ctx, "runs", runsUsage, runsSubs(), args, stdin, stdout, stderr)
}

// runPath is the API path of a run.
func runPath(id string, more ...string) string {
	p := "/runs/" + url.PathEscape(id)
	for _, m := range more {
		p += "/" + m
	}
	return p
}

// runRow is what a table of runs shows of a run.
type runRow struct {
	ID          string   `json:"id"`
	JobID       string   `json:"job_id"`
	Status      string   `json:"status"`
	Reason      string   `json:"reason"`
	ScheduledAt string   `json:"scheduled_at"`
	Duration    *float64 `json:"duration"`
	Node        string   `json:"node"`
}

const runsListUsage = `Usage: sundial runs list [flags]

Lists runs, newest first, as a table: one page (--limit, server default
50) unless --all follows every page. --from and --to bound the scheduled
time (RFC 3339); --status is one of submitted, running, succeeded, failed,
timed_out, missed, skipped, interrupted.
`

func runsList(ctx context.Context, c *clientCmd, args []string) error {
	var job, status, node, from, to string
	var limit int
	var all bool
	c.fs.StringVar(&job, "job", "", "only runs of the job with this `id`")
	c.fs.StringVar(&status, "status", "", "only runs with this `status`")
	c.fs.StringVar(&node, "node", "", "only runs on this `node`")
	c.fs.StringVar(&from, "from", "", "only runs scheduled at or after this `time`")
	c.fs.StringVar(&to, "to", "", "only runs scheduled before this `time`")
	c.fs.IntVar(&limit, "limit", 0, "runs per page, 1 to 1000 (default: the server's, 50)")
	c.fs.BoolVar(&all, "all", false, "read every page, not only the first")
	if _, err := c.parse(args, runsListUsage, 0, ""); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"job": job, "status": status, "node": node, "from": from, "to": to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if c.setFlags()["limit"] {
		q.Set("limit", strconv.Itoa(limit))
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	l, err := api.list(ctx, listQuery{path: "/runs", query: q, key: "runs", cursorParam: "before"}, all)
	if err != nil {
		return err
	}
	if c.flags.json {
		b, err := l.json("runs")
		if err != nil {
			return err
		}
		return c.printRaw(b)
	}
	rows := make([][]string, 0, len(l.items))
	for _, item := range l.items {
		var r runRow
		if err := json.Unmarshal(item, &r); err != nil {
			return fmt.Errorf("a run in the answer: %w", err)
		}
		rows = append(rows, []string{r.ID, r.JobID, r.Status, r.ScheduledAt, duration(r.Duration), r.Node})
	}
	if err := writeTable(c.stdout, []string{"ID", "JOB", "STATUS", "SCHEDULED", "DURATION", "NODE"}, rows); err != nil {
		return err
	}
	if l.next != "" {
		fmt.Fprintln(c.stderr, "(more runs: add --all to list every page)")
	}
	return nil
}

const runsGetUsage = `Usage: sundial runs get [flags] RUN_ID

Shows a run as "key: value" lines, in the API's fields and order, its
output among them ("sundial runs logs" prints the output alone).
`

func runsGet(ctx context.Context, c *clientCmd, args []string) error {
	pos, err := c.parse(args, runsGetUsage, 1, "run ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodGet, runPath(pos[0]), nil, nil, nil)
	if err != nil {
		return err
	}
	if c.flags.json {
		return c.printRaw(resp.body)
	}
	return writeFields(c.stdout, resp.body)
}

const runsLogsUsage = `Usage: sundial runs logs [flags] RUN_ID

Prints the output a run recorded, as it is (the API answers it as text,
so --json changes nothing).
`

func runsLogs(ctx context.Context, c *clientCmd, args []string) error {
	pos, err := c.parse(args, runsLogsUsage, 1, "run ID")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodGet, runPath(pos[0], "output"), nil, nil, nil)
	if err != nil {
		return err
	}
	return c.printRaw(resp.body)
}
