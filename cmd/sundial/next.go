package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

const nextUsage = `Usage:

	sundial next [flags] 'CRONTAB EXPRESSION'
	sundial next [flags] --json 'TRIGGER JSON'
	sundial next --batch < requests.jsonl

Prints when a trigger fires: a description of the trigger, then its next fire
times, each in the trigger's time zone. A crontab expression is read in the
standard (Vixie cron) dialect unless --dialect says otherwise; --json takes
any trigger definition, as in the API and the config file.

With --batch, each line of standard input is a JSON request
	{"id": "a", "trigger": {...}, "start": "2024-01-01T00:00:00+00:00", "count": 12}
and each gets one JSON line in answer, in order:
	{"id": "a", "fires": ["2024-01-01T09:00:00+00:00", ...], "done": false}
or, when the request is wrong,
	{"id": "a", "error": "...", "field": "hour"}
A missing or zero count means 12; a trigger without "timezone" is in UTC.

Examples:

	sundial next '*/5 9-17 * * mon-fri' -n 5 --tz Asia/Shanghai
	sundial next '0 15 10 ? * 6L' --dialect quartz --tz Europe/Berlin
	sundial next --json '{"type":"cron","day":"last fri","hour":"9"}'
	sundial next --from 2024-03-30T00:00:00+01:00 --json \
		'{"type":"cron","hour":"2","minute":"30","timezone":"Europe/Berlin"}'
`

// humanLayout formats fire times for people; the fraction appears only when
// it is not zero.
const humanLayout = "2006-01-02 15:04:05.999999 -07:00 MST"

// nextOptions are the flags of "sundial next".
type nextOptions struct {
	count   int
	tz      string
	from    string
	json    string
	dialect string
	batch   bool
}

func runNext(ctx context.Context, args []string, stdin io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("next")
	var o nextOptions
	fs.IntVar(&o.count, "n", 10, "how many fire times to print")
	fs.StringVar(&o.tz, "tz", "", "time zone (IANA name) of a trigger without \"timezone\" (default: the local zone)")
	fs.StringVar(&o.from, "from", "", "preview from this RFC 3339 time (default: now)")
	fs.StringVar(&o.json, "json", "", "the trigger as a JSON definition, of any type")
	fs.StringVar(&o.dialect, "dialect", "", "crontab dialect: standard or quartz (default: standard)")
	fs.BoolVar(&o.batch, "batch", false, "answer JSON-lines requests from standard input (see above)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, nextUsage)
		return nil
	}
	if err != nil {
		return err
	}

	if o.batch {
		var others []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "batch" {
				others = append(others, "-"+f.Name)
			}
		})
		if len(others) > 0 || len(pos) > 0 {
			return usagef("--batch reads everything from standard input and takes no other arguments")
		}
		return runBatch(ctx, stdin, stdout, answerNext)
	}

	if o.count < 1 || o.count > maxCount {
		return usagef("-n must be from 1 to %d, not %d", maxCount, o.count)
	}
	loc := time.Local
	if o.tz != "" {
		if loc, err = time.LoadLocation(o.tz); err != nil {
			return usagef("--tz: %w", err)
		}
	}
	from := time.Now()
	if o.from != "" {
		if from, err = time.Parse(time.RFC3339, o.from); err != nil {
			return usagef("--from: %w", err)
		}
	}
	def, err := o.definition(pos)
	if err != nil {
		return err
	}
	trig, err := trigger.ParseIn(def, loc)
	if err != nil {
		return fmt.Errorf("invalid trigger: %w", err)
	}
	fires, done := trigger.Upcoming(trig, from, o.count)
	return printFires(stdout, trig, fires, done)
}

// definition returns the trigger JSON the arguments describe: --json as
// given, or a crontab trigger built from the one positional expression.
func (o nextOptions) definition(pos []string) ([]byte, error) {
	switch {
	case o.json != "" && len(pos) > 0:
		return nil, usagef("give either a crontab expression or --json, not both")
	case o.json != "" && o.dialect != "":
		return nil, usagef("--dialect applies to a crontab expression; put \"dialect\" in the --json definition instead")
	case o.json != "":
		return []byte(o.json), nil
	case len(pos) == 0:
		return nil, usagef("missing trigger: give a crontab expression or --json (see \"sundial help next\")")
	case len(pos) > 1:
		return nil, usagef("too many arguments: quote the crontab expression as one argument, as in '*/5 * * * *'")
	}
	def := map[string]string{"type": "crontab", "expr": pos[0]}
	if o.tz != "" {
		def["timezone"] = o.tz
	}
	if o.dialect != "" {
		def["dialect"] = o.dialect
	}
	return json.Marshal(def)
}

// printFires writes the human-readable preview: the trigger's description,
// one numbered line per fire time and, when the trigger is finished, a last
// line saying so.
func printFires(w io.Writer, trig trigger.Trigger, fires []time.Time, done bool) error {
	if _, err := fmt.Fprintln(w, trig.Describe()); err != nil {
		return err
	}
	width := len(strconv.Itoa(len(fires)))
	for i, t := range fires {
		if _, err := fmt.Fprintf(w, "%*d  %s  %s\n", width, i+1, t.Format(humanLayout), t.Weekday()); err != nil {
			return err
		}
	}
	if done {
		if _, err := fmt.Fprintln(w, "(no further fire times)"); err != nil {
			return err
		}
	}
	return nil
}
