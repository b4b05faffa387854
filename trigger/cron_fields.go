package trigger

import (
	"math/bits"
	"strconv"
	"strings"
)

// The keyword "cron" trigger: APScheduler's CronTrigger fields.

// cronFieldNames lists the fields in APScheduler's order, coarsest first.
var cronFieldNames = [8]string{"year", "month", "day", "week", "day_of_week", "hour", "minute", "second"}

const (
	fYear = iota
	fMonth
	fDay
	fWeek
	fDOW
	fHour
	fMinute
	fSecond
)

var cronMin = [8]int{1970, 1, 1, 1, 0, 0, 0, 0}
var cronMax = [8]int{9999, 12, 31, 53, 6, 23, 59, 59}

// cronDefault is the value of a field left out after the finest given one.
var cronDefault = [8]string{"*", "1", "1", "*", "*", "0", "0", "0"}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// apsWeekdays numbers weekdays as APScheduler 3.x does: 0 = Monday.
var apsWeekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var ordinals = []string{"1st", "2nd", "3rd", "4th", "5th"}

// fillCronFields applies APScheduler's default-filling rule: fields before
// the finest given one become "*", fields after it take their default. With
// no field at all every field is "*" (fires every second, as 3.x does).
func fillCronFields(given [8]string, has [8]bool) [8]string {
	last := -1
	for i := range has {
		if has[i] {
			last = i
		}
	}
	var out [8]string
	for i := range out {
		switch {
		case has[i]:
			out[i] = given[i]
		case last < 0 || i < last:
			out[i] = "*"
		default:
			out[i] = cronDefault[i]
		}
	}
	return out
}

// compileCron turns the eight filled field expressions into a spec.
func compileCron(exprs [8]string) (*spec, error) {
	s := &spec{minYear: cronMin[fYear], maxYear: cronMax[fYear]}
	for i, expr := range exprs {
		set, all, specials, err := parseCronField(i, expr)
		if err != nil {
			return nil, err
		}
		lo := cronMin[i]
		switch i {
		case fYear:
			if !all {
				s.years = set
			}
		case fMonth:
			s.month = uint16(set[0] << lo)
		case fDay:
			s.dom = uint32(set[0] << lo)
			s.domSpecial = specials
		case fWeek:
			s.week = set[0] << lo
			s.weekAll = all
		case fDOW:
			for v := range 7 { // 0 = Monday → bit 1 (time.Weekday numbering)
				if set[0]&(1<<v) != 0 {
					s.dow |= 1 << ((v + 1) % 7)
				}
			}
			s.dowAll = all
		case fHour:
			s.hour = uint32(set[0])
		case fMinute:
			s.minute = set[0]
		case fSecond:
			s.second = set[0]
		}
	}
	s.finish()
	return s, nil
}

// parseCronField parses one field expression into a bit set of its plain
// values (bit v-min, enough words for the field's range), whether that set
// is every value, and the day tokens ("last", "3rd fri", "last sun"). For
// "*" in the year field the set is nil: every year matches.
func parseCronField(field int, expr string) (set []uint64, all bool, specials []daySpecial, err error) {
	name := cronFieldNames[field]
	lo, hi := cronMin[field], cronMax[field]
	text := strings.TrimSpace(expr)
	if text == "" {
		return nil, false, nil, fieldErr(name, expr, "is empty; use * for every value")
	}
	if text == "*" && hi-lo >= 64 {
		return nil, true, nil, nil // the year field: no set needed
	}
	set = make([]uint64, (hi-lo)/64+1)
	if text == "*" {
		set[0] = 1<<(hi-lo+1) - 1
		return set, true, nil, nil
	}
	for _, part := range strings.Split(text, ",") {
		el := strings.ToLower(strings.TrimSpace(part))
		if el == "" {
			return nil, false, nil, fieldErr(name, expr, "has an empty list element")
		}
		if field == fDay {
			if sp, ok, err := parseDayToken(el); err != nil {
				return nil, false, nil, err
			} else if ok {
				specials = append(specials, sp)
				continue
			}
		}
		first, last, step, err := parseCronRange(field, el)
		if err != nil {
			return nil, false, nil, err
		}
		for v := first - lo; v <= last-lo; v += step {
			set[v/64] |= 1 << (v % 64)
		}
	}
	count := 0
	for _, w := range set {
		count += bits.OnesCount64(w)
	}
	return set, count == hi-lo+1, specials, nil
}

// parseDayToken reads the day-field tokens "last", "last <weekday>" and
// "<nth> <weekday>".
func parseDayToken(el string) (daySpecial, bool, error) {
	if el == "last" {
		return daySpecial{kind: specLastDay}, true, nil
	}
	words := strings.Fields(el)
	if len(words) == 0 || (words[0] != "last" && !contains(ordinals, words[0])) {
		return daySpecial{}, false, nil // a plain value or range
	}
	if len(words) != 2 {
		return daySpecial{}, false, fieldErr("day", el, "needs a weekday: last <weekday> or 1st-5th <weekday>, e.g. \"2nd fri\"")
	}
	wd := indexOf(apsWeekdays, words[1])
	if wd < 0 {
		return daySpecial{}, false, fieldErr("day", el, "has an unknown weekday %q; use mon, tue, wed, thu, fri, sat or sun", words[1])
	}
	weekday := (wd + 1) % 7
	if words[0] == "last" {
		return daySpecial{kind: specLastWeekday, weekday: weekday}, true, nil
	}
	return daySpecial{kind: specNth, n: indexOf(ordinals, words[0]) + 1, weekday: weekday}, true, nil
}

// parseCronRange reads `*`, `*/n`, `a`, `a-b`, `a-b/n`, `a/n`, with names in
// the month and day_of_week fields, and validates them as APScheduler 3.x
// does: values in range, no backwards range, 0 < step <= span.
func parseCronRange(field int, el string) (first, last, step int, err error) {
	name := cronFieldNames[field]
	lo, hi := cronMin[field], cronMax[field]
	body, stepText, hasStep := strings.Cut(el, "/")
	step = 1
	if hasStep {
		n, e := strconv.Atoi(stepText)
		if e != nil || n < 0 {
			return 0, 0, 0, fieldErr(name, el, "has a bad step %q; use a positive whole number", stepText)
		}
		if n == 0 {
			return 0, 0, 0, fieldErr(name, el, "has step 0; the step must be at least 1")
		}
		step = n
	}
	if body == "*" {
		if step > hi-lo {
			return 0, 0, 0, fieldErr(name, el, "has step %d, larger than the field's range %d-%d", step, lo, hi)
		}
		return lo, hi, step, nil
	}
	a, b, isRange := strings.Cut(body, "-")
	first, err = cronValue(field, a, el)
	if err != nil {
		return 0, 0, 0, err
	}
	switch {
	case isRange:
		if last, err = cronValue(field, b, el); err != nil {
			return 0, 0, 0, err
		}
		if first > last {
			return 0, 0, 0, fieldErr(name, el, "is a backwards range; the first value must not be higher than the last")
		}
	case hasStep:
		last = hi
	default:
		last = first
	}
	if hasStep && step > last-first {
		return 0, 0, 0, fieldErr(name, el, "has step %d, larger than the range %d-%d", step, first, last)
	}
	return first, last, step, nil
}

// cronValue reads one value of a field: a number, or a name in the month and
// day_of_week fields.
func cronValue(field int, text, el string) (int, error) {
	name := cronFieldNames[field]
	lo, hi := cronMin[field], cronMax[field]
	text = strings.TrimSpace(text)
	if n, err := strconv.Atoi(text); err == nil && text != "" && text[0] != '+' && text[0] != '-' {
		if n < lo || n > hi {
			return 0, fieldErr(name, el, "is out of range %d-%d", lo, hi)
		}
		return n, nil
	}
	switch field {
	case fMonth:
		if i := indexOf(monthNames, text); i >= 0 {
			return i + 1, nil
		}
		return 0, fieldErr(name, el, "is not a month; use 1-12 or jan-dec")
	case fDOW:
		if i := indexOf(apsWeekdays, text); i >= 0 {
			return i, nil
		}
		return 0, fieldErr(name, el, "is not a weekday; use 0-6 (0 = Monday) or mon-sun")
	case fDay:
		return 0, fieldErr(name, el, "is not a day; use 1-31, last, last <weekday> or 1st-5th <weekday>")
	}
	return 0, fieldErr(name, el, "is not a number in range %d-%d", lo, hi)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }
