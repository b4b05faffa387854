package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

const jobsAddUsage = `Usage: sundial jobs add [flags] --file FILE|-
       sundial jobs add [flags] --task TASK --trigger TRIGGER [--id ID] [--name NAME]
                        [--args JSON] [--kwargs JSON] [--paused] [--tag TAG]...

Adds a job and prints it. The definition is either a JSON object as the
native API takes it (POST /api/v1/jobs), from FILE or standard input (-):

	{"id": "report", "task": "reports.daily", "trigger": {"type": "cron",
	 "hour": "9", "timezone": "Europe/Berlin"}, "kwargs": {"to": "ops"},
	 "max_instances": 1, "retry": {"attempts": 3, "backoff": 60}}

or made from the field flags. --trigger takes a trigger's JSON object, or
a crontab expression ('*/15 * * * *') as short for
{"type": "crontab", "expr": "*/15 * * * *"}. Fields without a flag
(executor, timeout, retry, ...) need --file.
`

const jobsEditUsage = `Usage: sundial jobs edit [flags] ID --file FILE|-
       sundial jobs edit [flags] ID [--name NAME] [--task TASK] [--trigger TRIGGER]
                         [--args JSON] [--kwargs JSON] [--tag TAG]... [--paused[=false]]

Changes the fields of a job that are given, and prints the job. --file
takes a JSON object of the fields to change (PATCH /api/v1/jobs/ID);
otherwise the field flags say what changes, as for "sundial jobs add".
"--tag ''" removes every tag. --paused pauses the job and --paused=false
resumes it, after the other changes.

With --if-match ETAG (the etag "sundial jobs get" shows) nothing changes
unless the job is still as it was read; otherwise the command exits 4.
`

// jobFields are the flags of "jobs add" and "jobs edit" that give a job's
// fields.
type jobFields struct {
	file                                  string
	id, name, task, trigger, args, kwargs string
	paused                                bool
	tags                                  stringList
}

// fieldFlags are the names of the field flags, in the order errors name
// them.
var fieldFlags = []string{"id", "name", "task", "trigger", "args", "kwargs", "tag", "paused"}

func (f *jobFields) add(fs *flag.FlagSet, withID bool) {
	fs.StringVar(&f.file, "file", "", "read the job's JSON from `FILE` (- for standard input)")
	if withID {
		fs.StringVar(&f.id, "id", "", "the job's `id` (default: one the server makes)")
	}
	fs.StringVar(&f.name, "name", "", "the job's `name`")
	fs.StringVar(&f.task, "task", "", "the registered `task` the job runs")
	fs.StringVar(&f.trigger, "trigger", "", "the trigger: a JSON object or a crontab expression")
	fs.StringVar(&f.args, "args", "", "the task's positional arguments, a JSON array")
	fs.StringVar(&f.kwargs, "kwargs", "", "the task's keyword arguments, a JSON object")
	fs.BoolVar(&f.paused, "paused", false, "pause the job (--paused=false: resume it)")
	fs.Var(&f.tags, "tag", "a `tag` of the job (repeat for more)")
}

// body returns the JSON the flags give: the file as it is, or an object of
// the field flags given. With withPaused false, --paused is left out of
// the object, and the body is nil when --paused is the only flag given.
// none is the usage message for no flags at all.
func (f *jobFields) body(set map[string]bool, stdin io.Reader, withPaused bool, none string) ([]byte, error) {
	var given []string
	for _, name := range fieldFlags {
		if set[name] {
			given = append(given, "--"+name)
		}
	}
	switch {
	case set["file"] && len(given) > 0:
		return nil, usagef("give --file or field flags, not both (%s)", strings.Join(given, ", "))
	case set["file"]:
		return readInput(f.file, stdin)
	case len(given) == 0:
		return nil, usagef("%s", none)
	}
	obj := map[string]any{}
	for _, s := range []struct {
		flag, key, val string
	}{{"id", "id", f.id}, {"name", "name", f.name}, {"task", "task", f.task}} {
		if set[s.flag] {
			obj[s.key] = s.val
		}
	}
	if set["trigger"] {
		t, err := triggerJSON(f.trigger)
		if err != nil {
			return nil, err
		}
		obj["trigger"] = t
	}
	for _, s := range []struct{ flag, val string }{{"args", f.args}, {"kwargs", f.kwargs}} {
		if set[s.flag] {
			if !json.Valid([]byte(s.val)) {
				return nil, usagef("--%s: not valid JSON: %q", s.flag, s.val)
			}
			obj[s.flag] = json.RawMessage(s.val)
		}
	}
	if set["tag"] {
		tags := []string{}
		for _, t := range f.tags {
			if t != "" {
				tags = append(tags, t)
			}
		}
		obj["tags"] = tags
	}
	if withPaused && set["paused"] {
		obj["paused"] = f.paused
	}
	if len(obj) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode the job: %w", err)
	}
	return b, nil
}

// triggerJSON is the trigger of --trigger: a JSON object as given, or a
// crontab expression made into one.
func triggerJSON(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, usagef("--trigger: empty; give a JSON object or a crontab expression")
	case strings.HasPrefix(s, "{"):
		if !json.Valid([]byte(s)) {
			return nil, usagef("--trigger: not valid JSON: %q", s)
		}
		return json.RawMessage(s), nil
	}
	b, err := json.Marshal(map[string]string{"type": "crontab", "expr": s})
	if err != nil {
		return nil, fmt.Errorf("encode the trigger: %w", err)
	}
	return b, nil
}

// maxInput bounds a job definition read from a file or standard input; the
// server takes 1 MiB by default.
const maxInput = 16 << 20

// readInput reads a file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	switch {
	case name == "":
		return nil, usagef("--file: give a file name, or - for standard input")
	case name == "-" && stdin == nil:
		return nil, errors.New("--file -: no standard input")
	case name == "-":
		r = stdin
	default:
		f, err := os.Open(name)
		if err != nil {
			return nil, err // *fs.PathError names the file
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("read %s: larger than %d MiB", name, maxInput>>20)
	}
	return b, nil
}

func jobsAdd(ctx context.Context, c *clientCmd, args []string) error {
	var f jobFields
	f.add(c.fs, true)
	if _, err := c.parse(args, jobsAddUsage, 0, ""); err != nil {
		return err
	}
	body, err := f.body(c.setFlags(), c.stdin, true, "give the job as --file FILE, or fields as flags (--task, --trigger, ...)")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.do(ctx, http.MethodPost, "/jobs", nil, body, nil)
	if err != nil {
		return err
	}
	return c.printJob(resp.body)
}

func jobsEdit(ctx context.Context, c *clientCmd, args []string) error {
	var f jobFields
	f.add(c.fs, false)
	var ifMatch string
	c.fs.StringVar(&ifMatch, "if-match", "", "change the job only if its etag is still `ETAG`")
	pos, err := c.parse(args, jobsEditUsage, 1, "job ID")
	if err != nil {
		return err
	}
	set := c.setFlags()
	body, err := f.body(set, c.stdin, false, "nothing to change: give --file FILE, or the fields to change as flags (--name, --trigger, ...)")
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	id := pos[0]
	var last []byte
	if body != nil || ifMatch != "" {
		h := http.Header{}
		if ifMatch != "" {
			h.Set("If-Match", quoteETag(ifMatch))
		}
		empty := body == nil
		if empty {
			body = []byte("{}") // changes nothing; checks If-Match
		}
		resp, err := api.do(ctx, http.MethodPatch, jobPath(id), nil, body, h)
		if err != nil {
			return err
		}
		if empty {
			if err := checkETag(ifMatch, resp.header.Get("ETag")); err != nil {
				return err
			}
		}
		last = resp.body
	}
	if set["paused"] {
		action := "resume"
		if f.paused {
			action = "pause"
		}
		resp, err := api.do(ctx, http.MethodPost, jobPath(id, action), nil, nil, nil)
		if err != nil {
			return fmt.Errorf("%s after the other changes: %w", action, err)
		}
		last = resp.body
	}
	return c.printJob(last)
}

// checkETag checks the ETag of the job an empty PATCH answered against
// --if-match. The server checks If-Match when a PATCH changes something,
// but may answer one of no fields (--if-match with only --paused) without
// that check, so the client makes it, before pausing or resuming.
func checkETag(ifMatch, now string) error {
	if ifMatch == "" || now == "" || strings.TrimSpace(ifMatch) == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if quoteETag(tag) == now {
			return nil
		}
	}
	return &httpError{Status: http.StatusPreconditionFailed, Code: "precondition_failed",
		Message: fmt.Sprintf("the job was changed since it was read (--if-match %s, now %s); read it again", quoteETag(ifMatch), now)}
}

// quoteETag puts an ETag in the quotes HTTP wants, when it was given
// without them (as copied from a shell variable, say).
func quoteETag(s string) string {
	s = strings.TrimSpace(s)
	if s == "*" || strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `W/"`) {
		return s
	}
	return `"` + s + `"`
}
