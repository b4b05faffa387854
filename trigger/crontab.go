package trigger

import (
	"time"
)

// CrontabTrigger fires on a crontab string in one of two dialects:
// "standard" (Vixie cron: 5 fields, 0 and 7 = Sunday, the day-of-month OR
// day-of-week rule, plus 6 fields with seconds first, 7 with a year last and
// the tokens ?, L, W, #) and "quartz" (Quartz's CronExpression: 1 = Sunday,
// ? in one day field).
type CrontabTrigger struct {
	expr    string
	dialect string // "" when not given (standard)
	spec    *spec
	loc     *time.Location
	jitter  time.Duration
}

// NewCrontab builds a standard-dialect crontab trigger in loc (nil: UTC).
func NewCrontab(expr string, loc *time.Location) (*CrontabTrigger, error) {
	if loc == nil {
		loc = time.UTC
	}
	s, err := parseCrontab(expr, "")
	if err != nil {
		return nil, err
	}
	return &CrontabTrigger{expr: expr, spec: s, loc: named(loc)}, nil
}

func parseCrontabTrigger(f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	loc, err := f.location(def)
	if err != nil {
		return nil, err
	}
	c := &CrontabTrigger{loc: loc}
	expr, ok, err := f.text("expr")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fieldErr("expr", "", "is required, e.g. \"*/5 9-17 * * mon-fri\"")
	}
	if c.dialect, _, err = f.text("dialect"); err != nil {
		return nil, err
	}
	if c.dialect != "" && c.dialect != "standard" && c.dialect != "quartz" {
		return nil, fieldErr("dialect", c.dialect, "is not a crontab dialect; use standard or quartz")
	}
	c.expr = expr
	if c.spec, err = parseCrontab(expr, c.dialect); err != nil {
		return nil, err
	}
	if c.jitter, err = f.jitter(); err != nil {
		return nil, err
	}
	return c, nil
}

// First returns the first matching time at or after now, rounded up to a
// whole second.
func (c *CrontabTrigger) First(now time.Time) (time.Time, bool) { return c.atOrAfter(now) }

// Next returns the first matching time after prev.
func (c *CrontabTrigger) Next(prev time.Time) (time.Time, bool) {
	return c.atOrAfter(time.Unix(prev.Unix()+1, 0))
}

func (c *CrontabTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	return specAtOrAfter(c.spec, c.loc, t, time.Time{}, time.Time{})
}

// Type returns "crontab".
func (c *CrontabTrigger) Type() string { return "crontab" }

// Location returns the trigger's time zone.
func (c *CrontabTrigger) Location() *time.Location { return c.loc }

// Jitter returns the largest random delay to add to each fire time.
func (c *CrontabTrigger) Jitter() time.Duration { return c.jitter }

// Expr returns the crontab string.
func (c *CrontabTrigger) Expr() string { return c.expr }

// Dialect returns "standard" or "quartz".
func (c *CrontabTrigger) Dialect() string {
	if c.dialect == "" {
		return "standard"
	}
	return c.dialect
}

// MarshalJSON writes expr, the dialect when it was given, the time zone and
// the jitter.
func (c *CrontabTrigger) MarshalJSON() ([]byte, error) {
	o := newObject("crontab")
	o.add("expr", c.expr)
	if c.dialect != "" {
		o.add("dialect", c.dialect)
	}
	o.add("timezone", c.loc.String())
	if c.jitter > 0 {
		o.add("jitter", jitterJSON(c.jitter))
	}
	return o.bytes()
}
