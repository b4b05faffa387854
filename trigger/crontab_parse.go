package trigger

import (
	"strconv"
	"strings"
)

// Crontab strings in two dialects (conformance README, C1–C4):
//
//   - standard: Vixie cron / cronie. 5 fields (minute hour day-of-month month
//     day-of-week), 6 with seconds first, 7 with a year (1970–2099) last;
//     day-of-week 0–7 with 0 and 7 = Sunday; ranges never wrap; when both day
//     fields are restricted a day matching either fires; macros such as
//     @daily; the Quartz day tokens L, L-n, nW, LW, n#k and nL.
//   - quartz: Quartz 2.x CronExpression. 6 or 7 fields (second minute hour
//     day-of-month month day-of-week [year]); day-of-week 1–7 with 1 = Sunday;
//     exactly one day field is "?"; ranges wrap around the end of the field.

// crontabField describes one field of a crontab string.
type crontabField struct {
	name      string   // for messages: "minute", "day-of-week", …
	lo, hi    int      // the values the field accepts
	names     []string // lower-case names of the values nameBase, nameBase+1, …
	nameBase  int
	maxStep   int  // quartz: the largest increment Quartz accepts; 0: no limit
	wrap      bool // quartz: a backwards range wraps around the end of the field
	sundayEnd bool // standard day-of-week: a range ending on 0 ends on 7
}

var crontabWeekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Field positions in the normalised 7-field form.
const (
	ctSecond = iota
	ctMinute
	ctHour
	ctDom
	ctMonth
	ctDow
	ctYear
)

var standardFields = [7]crontabField{
	{name: "second", lo: 0, hi: 59},
	{name: "minute", lo: 0, hi: 59},
	{name: "hour", lo: 0, hi: 23},
	{name: "day-of-month", lo: 1, hi: 31},
	{name: "month", lo: 1, hi: 12, names: monthNames, nameBase: 1},
	{name: "day-of-week", lo: 0, hi: 7, names: crontabWeekdays, nameBase: 0, sundayEnd: true},
	{name: "year", lo: 1970, hi: 2099},
}

var quartzFields = [7]crontabField{
	{name: "second", lo: 0, hi: 59, maxStep: 59, wrap: true},
	{name: "minute", lo: 0, hi: 59, maxStep: 59, wrap: true},
	{name: "hour", lo: 0, hi: 23, maxStep: 23, wrap: true},
	{name: "day-of-month", lo: 1, hi: 31, maxStep: 31, wrap: true},
	{name: "month", lo: 1, hi: 12, names: monthNames, nameBase: 1, maxStep: 12, wrap: true},
	{name: "day-of-week", lo: 1, hi: 7, names: crontabWeekdays, nameBase: 1, maxStep: 7, wrap: true},
	{name: "year", lo: 1970, hi: 2099},
}

// crontabMacros are the standard dialect's @ shorthands (lower case only).
var crontabMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

const macroList = "@yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"

// parseCrontab compiles a crontab string of the given dialect ("standard" or
// "quartz"; "" means standard).
func parseCrontab(expr, dialect string) (*spec, error) {
	switch dialect {
	case "", "standard":
		return parseStandardCrontab(expr)
	case "quartz":
		return parseQuartzCrontab(expr)
	}
	return nil, fieldErr("dialect", dialect, "is not a crontab dialect; use standard or quartz")
}

// parseStandardCrontab compiles the standard dialect: macros, 5, 6 or 7
// fields, the Vixie day rule.
func parseStandardCrontab(expr string) (*spec, error) {
	text := strings.TrimSpace(expr)
	if strings.HasPrefix(text, "@") {
		if m, ok := crontabMacros[text]; ok {
			return parseStandardCrontab(m)
		}
		if strings.ContainsAny(text, " \t\n\r\v\f") {
			return nil, fieldErr("expr", expr, "must be a macro alone or 5, 6 or 7 fields; a macro takes no fields")
		}
		return nil, fieldErr("expr", expr, "is not a known macro; use %s", macroList)
	}
	parts := strings.Fields(text)
	switch len(parts) {
	case 5:
		parts = append([]string{"0"}, parts...)
	case 6, 7:
	default:
		return nil, fieldErr("expr", expr, "has %d fields; the standard dialect takes 5 (minute hour day-of-month month day-of-week), 6 (second first) or 7 (year last), or a macro such as @daily", len(parts))
	}
	s := &spec{weekAll: true, minYear: 1970, maxYear: 9999}
	if err := s.parseTimeFields(&standardFields, parts, false); err != nil {
		return nil, err
	}
	domFree, err := s.parseDom(&standardFields[ctDom], parts[ctDom], false)
	if err != nil {
		return nil, err
	}
	dowFree, err := s.parseDow(&standardFields[ctDow], parts[ctDow], false)
	if err != nil {
		return nil, err
	}
	// Vixie rule: a field written "*…" or "?" leaves the choice to the other
	// one (its own values still apply: "*/10" is days 1, 11, 21, 31); when
	// both are restricted, a day matching either fires.
	s.orDays = !domFree && !dowFree
	s.setDayAll()
	if len(parts) == 7 {
		if err := s.parseYears(&standardFields[ctYear], parts[ctYear]); err != nil {
			return nil, err
		}
	}
	s.finish()
	return s, nil
}

// parseQuartzCrontab compiles the quartz dialect: 6 or 7 fields, exactly one
// day field "?", wrapping ranges.
func parseQuartzCrontab(expr string) (*spec, error) {
	parts := strings.Fields(expr)
	if len(parts) != 6 && len(parts) != 7 {
		return nil, fieldErr("expr", expr, "has %d fields; the quartz dialect takes 6 (second minute hour day-of-month month day-of-week) or 7 (year last)", len(parts))
	}
	s := &spec{weekAll: true, minYear: 1970, maxYear: 2099}
	if err := s.parseTimeFields(&quartzFields, parts, true); err != nil {
		return nil, err
	}
	domFree, err := s.parseDom(&quartzFields[ctDom], parts[ctDom], true)
	if err != nil {
		return nil, err
	}
	dowFree, err := s.parseDow(&quartzFields[ctDow], parts[ctDow], true)
	if err != nil {
		return nil, err
	}
	if domFree == dowFree {
		return nil, fieldErr("expr", expr, "must have ? in exactly one of the day-of-month and day-of-week fields (quartz dialect)")
	}
	s.setDayAll()
	if len(parts) == 7 {
		if err := s.parseYears(&quartzFields[ctYear], parts[ctYear]); err != nil {
			return nil, err
		}
	}
	s.finish()
	return s, nil
}

// parseTimeFields fills second, minute, hour and month.
func (s *spec) parseTimeFields(fs *[7]crontabField, parts []string, quartz bool) error {
	for _, i := range []int{ctSecond, ctMinute, ctHour, ctMonth} {
		vals, err := fs[i].parseList(parts[i], quartz)
		if err != nil {
			return err
		}
		for j, ok := range vals {
			if !ok {
				continue
			}
			v := fs[i].lo + j
			switch i {
			case ctSecond:
				s.second |= 1 << v
			case ctMinute:
				s.minute |= 1 << v
			case ctHour:
				s.hour |= 1 << v
			case ctMonth:
				s.month |= 1 << v
			}
		}
	}
	return nil
}

// setDayAll marks a day field that leaves the day to the other one: it
// covers every value and the Vixie OR rule is not in force.
func (s *spec) setDayAll() {
	s.domAll = !s.orDays && s.dom == 0xfffffffe && len(s.domSpecial) == 0
	s.dowAll = !s.orDays && s.dow == 0x7f && len(s.dowSpecial) == 0
}

// parseYears fills the year bit set of a 7-field expression.
func (s *spec) parseYears(f *crontabField, text string) error {
	s.maxYear = f.hi
	if text == "*" {
		return nil
	}
	vals, err := f.parseList(text, false)
	if err != nil {
		return err
	}
	s.years = make([]uint64, (s.maxYear-s.minYear)/64+1)
	for j, ok := range vals {
		if ok {
			s.years[j/64] |= 1 << (j % 64)
		}
	}
	return nil
}

// parseDom fills the day-of-month field and reports whether it leaves the
// day to the other field ("?", or in the standard dialect text starting
// with "*").
func (s *spec) parseDom(f *crontabField, text string, quartz bool) (free bool, err error) {
	if text == "?" {
		s.dom = 0xfffffffe
		return true, nil
	}
	if err := f.checkList(text); err != nil {
		return false, err
	}
	els := strings.Split(text, ",")
	var plain []string
	for _, tok := range els {
		sp, ok, err := parseDomToken(tok)
		if err != nil {
			return false, err
		}
		if !ok {
			plain = append(plain, tok)
			continue
		}
		if quartz && len(els) > 1 {
			return false, fieldErr("expr", text, "combines %s with other days; the quartz dialect allows L, L-n, nW and LW only alone in the day-of-month field", tok)
		}
		s.domSpecial = append(s.domSpecial, sp)
	}
	if len(plain) > 0 {
		vals, err := f.parseList(strings.Join(plain, ","), quartz)
		if err != nil {
			return false, err
		}
		for j, ok := range vals {
			if ok {
				s.dom |= 1 << (f.lo + j)
			}
		}
	}
	return !quartz && strings.HasPrefix(text, "*"), nil
}

// parseDomToken reads the day-of-month tokens L, L-n, LW and nW. ok is false
// for a plain value, range or step.
func parseDomToken(tok string) (daySpecial, bool, error) {
	el := strings.ToLower(tok)
	switch {
	case el == "l":
		return daySpecial{kind: specLastDay}, true, nil
	case el == "lw":
		return daySpecial{kind: specLastWorkday}, true, nil
	case strings.HasPrefix(el, "l-"):
		n, ok := ctNumber(el[2:])
		if !ok || n > 30 {
			return daySpecial{}, false, fieldErr("expr", tok, "is not L-n with n 0-30 (n days before the last day of the month) in the day-of-month field")
		}
		return daySpecial{kind: specLastDay, n: n}, true, nil
	case strings.HasPrefix(el, "l"):
		return daySpecial{}, false, fieldErr("expr", tok, "is not a day-of-month token; use L, L-n, LW or nW")
	case strings.HasSuffix(el, "w"):
		n, ok := ctNumber(el[:len(el)-1])
		if !ok || n < 1 || n > 31 {
			return daySpecial{}, false, fieldErr("expr", tok, "is not nW with n 1-31 (the weekday nearest to day n) in the day-of-month field")
		}
		return daySpecial{kind: specNearest, n: n}, true, nil
	}
	return daySpecial{}, false, nil
}

// parseDow fills the day-of-week field and reports whether it leaves the day
// to the other field.
func (s *spec) parseDow(f *crontabField, text string, quartz bool) (free bool, err error) {
	if text == "?" {
		s.dow = 0x7f
		return true, nil
	}
	if err := f.checkList(text); err != nil {
		return false, err
	}
	els := strings.Split(text, ",")
	var plain []string
	for _, tok := range els {
		el := strings.ToLower(tok)
		special := strings.Contains(el, "#") || strings.HasSuffix(el, "l")
		if !special {
			plain = append(plain, tok)
			continue
		}
		if quartz && len(els) > 1 {
			return false, fieldErr("expr", text, "combines %s with other days; the quartz dialect allows L, nL and n#k only alone in the day-of-week field", tok)
		}
		if el == "l" {
			if !quartz {
				return false, fieldErr("expr", tok, "needs a weekday in the day-of-week field: nL is the last weekday n of the month, e.g. 5L")
			}
			s.dow |= 1 << 6 // Quartz: L alone is 7 = Saturday
			continue
		}
		sp, err := f.parseDowToken(tok, el, quartz)
		if err != nil {
			return false, err
		}
		s.dowSpecial = append(s.dowSpecial, sp)
	}
	if len(plain) > 0 {
		vals, err := f.parseList(strings.Join(plain, ","), quartz)
		if err != nil {
			return false, err
		}
		for j, ok := range vals {
			if ok {
				s.dow |= 1 << f.weekday(f.lo+j)
			}
		}
	}
	return !quartz && strings.HasPrefix(text, "*"), nil
}

// parseDowToken reads n#k and nL, with n a number or a weekday name.
func (f *crontabField) parseDowToken(tok, el string, quartz bool) (daySpecial, error) {
	wdText, kText, nth := strings.Cut(el, "#")
	if !nth {
		wdText = strings.TrimSuffix(el, "l")
	}
	v, err := f.value(wdText, tok)
	if err != nil {
		return daySpecial{}, err
	}
	if !nth {
		return daySpecial{kind: specLastWeekday, weekday: f.weekday(v)}, nil
	}
	k, ok := ctNumber(kText)
	if !ok || k < 1 || k > 5 {
		return daySpecial{}, fieldErr("expr", tok, "needs 1-5 after # (the k-th such weekday of the month) in the day-of-week field")
	}
	return daySpecial{kind: specNth, n: k, weekday: f.weekday(v)}, nil
}

// weekday turns a day-of-week value into 0 = Sunday … 6 = Saturday.
func (f *crontabField) weekday(v int) int {
	return (v - f.nameBase) % 7
}

// parseList reads a comma-separated list of *, */n, a, a-b, a-b/n and a/n.
// Element j of the result is true when value lo+j is in the list.
func (f *crontabField) parseList(text string, quartz bool) ([]bool, error) {
	if err := f.checkList(text); err != nil {
		return nil, err
	}
	vals := make([]bool, f.hi-f.lo+1)
	for _, tok := range strings.Split(text, ",") {
		if err := f.parseElement(tok, quartz, vals); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// checkList rejects a list with an empty element.
func (f *crontabField) checkList(text string) error {
	if strings.Contains(","+text+",", ",,") {
		return fieldErr("expr", text, "has an empty list element in the %s field", f.name)
	}
	return nil
}

// parseElement adds the values of one list element to vals.
func (f *crontabField) parseElement(tok string, quartz bool, vals []bool) error {
	el := strings.ToLower(tok)
	if el == "?" {
		return fieldErr("expr", tok, "is allowed only as the whole day-of-month or day-of-week field, not in the %s field", f.name)
	}
	body, stepText, hasStep := strings.Cut(el, "/")
	step := 1
	if hasStep {
		n, ok := ctNumber(stepText)
		switch {
		case !ok:
			return fieldErr("expr", tok, "has a bad step in the %s field; use a whole number of at least 1", f.name)
		case n == 0:
			return fieldErr("expr", tok, "step must be at least 1 in the %s field", f.name)
		case quartz && f.maxStep > 0 && n > f.maxStep:
			return fieldErr("expr", tok, "step must be at most %d in the %s field", f.maxStep, f.name)
		}
		step = n
	}
	span := f.hi - f.lo + 1
	var first, last int
	if body == "*" {
		first, last = f.lo, f.hi
	} else {
		a, b, isRange := strings.Cut(body, "-")
		var err error
		if first, err = f.value(a, tok); err != nil {
			return err
		}
		switch {
		case isRange:
			if last, err = f.value(b, tok); err != nil {
				return err
			}
			if f.sundayEnd && last == 0 && first > 0 {
				last = 7 // standard day-of-week: "fri-sun" and "5-0" end on Sunday = 7
			}
			if last < first {
				if !f.wrap {
					return fieldErr("expr", tok, "is a backwards range in the %s field; the first value must not be higher than the last", f.name)
				}
				last += span // quartz: "22-2" wraps to 22, 23, 0, 1, 2
			}
		case hasStep:
			last = f.hi
		default:
			last = first
		}
	}
	for i := first; i <= last; i += step {
		vals[(i-f.lo)%span] = true
	}
	return nil
}

// value reads one value of a field: a number in range or a name.
func (f *crontabField) value(text, tok string) (int, error) {
	if n, ok := ctNumber(text); ok {
		if n < f.lo || n > f.hi {
			return 0, fieldErr("expr", tok, "is out of range %d-%d in the %s field", f.lo, f.hi, f.name)
		}
		return n, nil
	}
	if i := indexOf(f.names, text); i >= 0 {
		return f.nameBase + i, nil
	}
	if f.names != nil {
		return 0, fieldErr("expr", tok, "is not a value of the %s field; use %d-%d or %s-%s", f.name, f.lo, f.hi, f.names[0], f.names[len(f.names)-1])
	}
	return 0, fieldErr("expr", tok, "is not a value of the %s field; use %d-%d", f.name, f.lo, f.hi)
}

// ctNumber reads a plain decimal number of at most 9 digits (no sign).
func ctNumber(text string) (int, bool) {
	if text == "" || len(text) > 9 {
		return 0, false
	}
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(text)
	return n, err == nil
}
