package trigger

import (
	"strconv"
	"strings"
	"time"
)

// Describe says when the trigger fires, e.g. "at 09:30 on Monday through
// Friday (Asia/Shanghai)". Wall-clock times are in the zone named at the
// end.
func (c *CronTrigger) Describe() string {
	text, _ := describeSpec(c.spec)
	return text + rangeText(c.start, c.end, c.loc) + jitterText(c.jitter) + zoneText(c.loc)
}

// Describe says when the trigger fires, e.g. "every 5 minutes from 09:00
// through 17:55 on Monday through Friday (UTC)". An expression whose fields
// would need long irregular lists is quoted instead.
func (c *CrontabTrigger) Describe() string {
	text, irregular := describeSpec(c.spec)
	if irregular || len(text) > 320 {
		text = "matching cron " + strconv.Quote(c.expr)
		if c.Dialect() == "quartz" {
			text = "matching quartz cron " + strconv.Quote(c.expr)
		}
	}
	return text + jitterText(c.jitter) + zoneText(c.loc)
}

// Describe says when the trigger fires, e.g. "every 5 minutes from
// 2024-01-01 00:00 (UTC)".
func (it *IntervalTrigger) Describe() string {
	var b strings.Builder
	b.WriteString("every ")
	b.WriteString(unitsText(it.units[:], intervalUnits[:]))
	b.WriteString(rangeText(it.start, it.end, it.loc))
	if (it.units[0] != 0 || it.units[1] != 0) && zoneShifts(it.loc, it.start) {
		b.WriteString(", counting a day as exactly 24 hours")
	}
	b.WriteString(jitterText(it.jitter))
	b.WriteString(zoneText(it.loc))
	return b.String()
}

// Describe says when the trigger fires: "once at 2024-06-01 12:00:00 +08:00
// (Asia/Shanghai)".
func (d *DateTrigger) Describe() string {
	t := d.run.In(d.loc)
	layout := "2006-01-02 15:04:05 -07:00"
	if t.Nanosecond() != 0 {
		layout = "2006-01-02 15:04:05.999999999 -07:00"
	}
	return "once at " + t.Format(layout) + zoneText(d.loc)
}

// Describe says when the trigger fires, e.g. "every month at 09:00:00 from
// 2024-01-31, skipping months without a day 31 (Europe/Berlin)".
func (c *CalendarIntervalTrigger) Describe() string {
	var b strings.Builder
	b.WriteString("every ")
	b.WriteString(unitsText([]int64{int64(c.years), int64(c.months), int64(c.weeks), int64(c.days)}, calUnits[:]))
	b.WriteString(" at ")
	b.WriteString(clockText(c.hour*3600+c.minute*60+c.second, true))
	if c.start != noDate {
		b.WriteString(" from " + dateText(c.start))
	}
	if c.end != noDate {
		b.WriteString(" until " + dateText(c.end))
	}
	b.WriteString(c.skipText())
	b.WriteString(zoneText(c.loc))
	return b.String()
}

// skipText names the dates a year or month step skips rather than clamps:
// from the 31st, months with 30 days or fewer.
func (c *CalendarIntervalTrigger) skipText() string {
	if c.years == 0 && c.months == 0 {
		return ""
	}
	if c.start == noDate || c.weeks != 0 || c.days != 0 {
		// The day of the month is not known, or moves with each step.
		return ", skipping dates that do not exist"
	}
	_, m, d := civilFromDays(c.start)
	switch {
	case c.months != 0 && d > 28:
		return ", skipping months without a day " + strconv.Itoa(d)
	case c.months == 0 && m == 2 && d == 29:
		return ", skipping years without February 29"
	}
	return ""
}

// Describe says when the trigger fires: "when all of: <a>; <b>".
func (a *AndTrigger) Describe() string { return comboText("when all of: ", a.children) }

// Describe says when the trigger fires: "when any of: <a>; <b>".
func (o *OrTrigger) Describe() string { return comboText("when any of: ", o.children) }

// comboText lists the children's descriptions, nested combinators in
// brackets so that their lists stay apart.
func comboText(lead string, children []Trigger) string {
	parts := make([]string, len(children))
	for i, c := range children {
		parts[i] = c.Describe()
		switch c.(type) {
		case *AndTrigger, *OrTrigger:
			parts[i] = "[" + parts[i] + "]"
		}
	}
	return lead + strings.Join(parts, "; ")
}

// unitsText writes a step given in units: "minute", "5 minutes", "1 hour
// and 30 minutes". Zero counts are left out.
func unitsText(counts []int64, units []string) string {
	var items []string
	for i, n := range counts {
		if n == 0 {
			continue
		}
		unit := strings.TrimSuffix(units[i], "s")
		if n != 1 {
			unit = units[i]
		}
		items = append(items, strconv.FormatInt(n, 10)+" "+unit)
	}
	if len(items) == 1 && strings.HasPrefix(items[0], "1 ") {
		return items[0][2:]
	}
	return joinWords(items, "and")
}

// rangeText writes the start and end dates as wall times in loc.
func rangeText(start, end time.Time, loc *time.Location) string {
	var s string
	if !start.IsZero() {
		s += " from " + wallText(start.In(loc))
	}
	if !end.IsZero() {
		s += " until " + wallText(end.In(loc))
	}
	return s
}

// wallText writes 2024-01-01 09:00, with seconds and a fraction only when
// they are not zero.
func wallText(t time.Time) string {
	switch {
	case t.Nanosecond() != 0:
		return t.Format("2006-01-02 15:04:05.999999999")
	case t.Second() != 0:
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func jitterText(j time.Duration) string {
	if j <= 0 {
		return ""
	}
	return ", with up to " + strconv.FormatFloat(j.Seconds(), 'f', -1, 64) + " s of random delay"
}

func zoneText(loc *time.Location) string { return " (" + loc.String() + ")" }

// zoneShifts reports whether loc changes its UTC offset between the year
// of from (2000 when zero) and 2100, so that 24-hour days drift against
// the wall clock.
func zoneShifts(loc *time.Location, from time.Time) bool {
	y0 := 2000
	if !from.IsZero() {
		y0 = from.In(loc).Year()
	}
	_, off0 := time.Date(y0, 1, 1, 0, 0, 0, 0, loc).Zone()
	for y := y0; y <= 2100; y++ {
		for _, m := range []time.Month{time.January, time.July} {
			if _, off := time.Date(y, m, 1, 0, 0, 0, 0, loc).Zone(); off != off0 {
				return true
			}
		}
	}
	return false
}
