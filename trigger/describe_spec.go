package trigger

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Plain-English descriptions of a compiled spec, shared by the keyword cron
// trigger and both crontab dialects: the describer reads the bit sets and day
// tokens, never the text, so 0 = Monday (cron), 0 = 7 = Sunday (standard)
// and 1 = Sunday (quartz) all come out the same.

const (
	descAllDom    = uint32(0xfffffffe) // bits 1..31
	descAllDow    = uint8(0x7f)
	descAllMonths = uint16(0x1ffe) // bits 1..12
)

// maxListItems is the longest list a crontab description spells out; past
// it the description quotes the expression instead.
const maxListItems = 8

// specDescriber builds the description of one spec and notes whether any
// field needed a long irregular list.
type specDescriber struct {
	s         *spec
	irregular bool
}

// describeSpec says when s fires, without zone, dates or jitter.
func describeSpec(s *spec) (text string, irregular bool) {
	d := &specDescriber{s: s}
	return d.text(), d.irregular
}

func (d *specDescriber) text() string {
	s := d.s
	if s.second == 0 || s.minute == 0 || s.hour == 0 || s.month&descAllMonths == 0 {
		return "never"
	}
	parts := []string{d.timeText()}
	months := setVals(uint64(s.month), 1, 12)
	day, monthDone := d.dayText(), false
	if len(months) == 1 && d.domOnly() {
		// "on January 1" rather than "on day 1 of the month in January".
		if days := setVals(uint64(s.dom), 1, 31); len(days) == 1 && len(s.domSpecial) == 0 && days[0] <= daysIn(2000, months[0]) {
			day, monthDone = "on "+time.Month(months[0]).String()+" "+strconv.Itoa(days[0]), true
		}
	}
	if day != "" {
		parts = append(parts, day)
	}
	if !s.weekAll && s.week != 0 {
		parts = append(parts, "in "+d.fieldPhrase(setVals(s.week, 1, 53), "ISO week", false, strconv.Itoa))
	}
	period := ""
	if !monthDone && s.month&descAllMonths != descAllMonths {
		period = "in " + d.fieldPhrase(months, "month", true, monthName)
	}
	if s.years != nil {
		var years []int
		for i, w := range s.years {
			for ; w != 0; w &= w - 1 {
				if y := s.minYear + i*64 + bits.TrailingZeros64(w); y <= s.maxYear {
					years = append(years, y)
				}
			}
		}
		if len(years) == 0 {
			return "never"
		}
		yt := d.fieldPhrase(years, "year", true, strconv.Itoa)
		if period != "" || monthDone {
			period += " of " + yt
		} else {
			period = "in " + yt
		}
		period = strings.TrimPrefix(period, " ")
	}
	if period != "" {
		parts = append(parts, period)
	}
	if d.dateless() {
		return strings.Join(parts, " ") + ", which never happens"
	}
	return strings.Join(parts, " ")
}

// dateless reports whether no date matches the month and day fields in any
// of the 28 years from 2000, which between them have every calendar
// layout: "30 2 *" (February 30) or ISO week 53 in June.
func (d *specDescriber) dateless() bool {
	for m := 1; m <= 12; m++ {
		if d.s.month&(1<<m) == 0 {
			continue
		}
		for y := 2000; y < 2028; y++ {
			if d.s.monthDays(y, m) != 0 {
				return false
			}
		}
	}
	return true
}

// timeText describes the times of day: the bit sets of hour, minute and
// second taken as the sorted list of wall-clock offsets they generate.
func (d *specDescriber) timeText() string {
	S := setVals(d.s.second, 0, 59)
	M := setVals(d.s.minute, 0, 59)
	H := setVals(uint64(d.s.hour), 0, 23)
	nS, nM := len(S), len(M)
	n := nS * nM * len(H)
	hFull := len(H) == 24
	withSec := nS != 1 || S[0] != 0
	at := func(i int) int { return H[i/(nS*nM)]*3600 + M[i/nS%nM]*60 + S[i%nS] }
	clock := func(x int) string { return clockText(x, withSec) }

	// One arithmetic progression through the day: "every 5 minutes from
	// 09:00 through 17:55", or "every 15 minutes" when it wraps evenly.
	if first, step, ok := progression(n, at); ok {
		uniform := n*step == secondsPerDay
		if uniform && first == 0 {
			return everyText(step)
		}
		if !hFull && (uniform || n >= 4) {
			return everyText(step) + " from " + clock(first) + " through " + clock(at(n-1))
		}
	}
	if n <= 6 {
		times := make([]string, n)
		for i := range times {
			times[i] = clock(at(i))
		}
		return "at " + joinWords(times, "and")
	}

	// The same even pattern within every chosen hour: one window per run of
	// hours.
	nW := nS * nM
	wAt := func(i int) int { return M[i/nS]*60 + S[i%nS] }
	if first, step, ok := progression(nW, wAt); ok && !hFull && nW*step == 3600 {
		runs := hourRuns(H)
		if len(runs) <= 3 {
			windows := make([]string, len(runs))
			for i, r := range runs {
				windows[i] = "from " + clock(r[0]*3600+first) + " through " + clock(r[1]*3600+wAt(nW-1))
			}
			return everyText(step) + " " + joinWords(windows, "and")
		}
		if first == 0 {
			return everyText(step) + " during " + d.fieldPhrase(H, "hour", false, strconv.Itoa)
		}
	}

	// Field by field: "at second 30 of minutes 0, 15 and 45 past every hour".
	secP, join := "", " of "
	if first, step, ok := progression(nS, func(i int) int { return S[i] }); ok && first == 0 && nS*step == 60 {
		secP, join = everyText(step), " during "
	} else if withSec {
		secP = atText(d.fieldPhrase(S, "second", false, strconv.Itoa))
	}
	hourP := ""
	if !hFull {
		hourP = d.fieldPhrase(H, "hour", false, strconv.Itoa)
	}
	if nM == 60 {
		text := secP + " of every minute"
		if hourP != "" {
			text += " during " + hourP
		}
		return text
	}
	minP := d.fieldPhrase(M, "minute", false, strconv.Itoa)
	text := atText(minP)
	if secP != "" {
		text = secP + join + minP
	}
	if hourP == "" {
		return text + " past every hour"
	}
	return text + " past " + hourP
}

// domOnly reports whether the day of the month alone chooses the days.
func (d *specDescriber) domOnly() bool {
	s := d.s
	return s.dow&descAllDow == descAllDow && !s.orDays && s.dom&descAllDom != descAllDom && s.weekAll
}

// dayText describes the day-of-month and day-of-week fields and how they
// combine: both must match, or either (Vixie cron, spec.orDays).
func (d *specDescriber) dayText() string {
	s := d.s
	domEvery := s.dom&descAllDom == descAllDom
	dowEvery := s.dow&descAllDow == descAllDow
	if (domEvery && dowEvery) || (s.orDays && (domEvery || dowEvery)) {
		return ""
	}
	switch {
	case domEvery:
		return "on " + d.dowText("and")
	case dowEvery:
		dom, _ := d.domText()
		return "on " + dom
	case s.orDays:
		dom, _ := d.domText()
		return "on " + dom + " or on " + d.dowText("and")
	}
	dom, n := d.domText()
	subject := "it falls"
	if n > 1 {
		subject = "they fall"
	}
	return "on " + dom + " if " + subject + " on " + d.dowText("or")
}

// domText describes the day-of-month field: "days 1 and 15 and the last day
// of the month". n counts the items, for the verb that follows.
func (d *specDescriber) domText() (text string, n int) {
	var items []string
	if days := setVals(uint64(d.s.dom), 1, 31); len(days) > 0 {
		items = d.fieldItems(days, "day", false, strconv.Itoa)
		n = len(days)
	}
	items = appendSpecials(items, d.s.domSpecial)
	n += len(d.s.domSpecial)
	return joinWords(items, "and") + " of the month", n
}

// dowText describes the day-of-week field, weeks starting on Monday:
// "Monday through Friday", "Sunday and the last Friday of the month".
func (d *specDescriber) dowText(conj string) string {
	var items []string
	for i := 0; i < 7; {
		wd := (i + 1) % 7
		if d.s.dow&(1<<wd) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < 7 && d.s.dow&(1<<((j+2)%7)) != 0 {
			j++
		}
		switch {
		case j-i >= 2:
			items = append(items, weekdayName((i+1)%7)+" through "+weekdayName((j+1)%7))
		default:
			for k := i; k <= j; k++ {
				items = append(items, weekdayName((k+1)%7))
			}
		}
		i = j + 1
	}
	if len(d.s.dowSpecial) == 0 {
		return joinWords(items, conj)
	}
	return joinWords(appendSpecials(items, d.s.dowSpecial), conj) + " of the month"
}

// appendSpecials adds the phrases of month-dependent day tokens, once each.
func appendSpecials(items []string, list []daySpecial) []string {
	for _, sp := range list {
		var t string
		switch sp.kind {
		case specLastDay:
			t = "the last day"
			if sp.n > 0 {
				t = "the " + ordinal(sp.n+1) + "-to-last day"
			}
		case specNearest:
			t = "the weekday nearest day " + strconv.Itoa(sp.n)
		case specLastWorkday:
			t = "the last weekday"
		case specNth:
			t = "the " + ordinal(sp.n) + " " + weekdayName(sp.weekday)
		case specLastWeekday:
			t = "the last " + weekdayName(sp.weekday)
		}
		if t != "" && !contains(items, t) {
			items = append(items, t)
		}
	}
	return items
}

// fieldPhrase describes a sorted set of values: "minute 5", "minutes 0, 15
// and 45", "days 1 through 5 and 10", or for a long even progression "every
// 7th minute from 0 through 56". bare leaves the unit out of lists
// ("January and July", "2029 and 2030").
func (d *specDescriber) fieldPhrase(vals []int, unit string, bare bool, name func(int) string) string {
	return joinWords(d.fieldItems(vals, unit, bare, name), "and")
}

// fieldItems is fieldPhrase before the items are joined, so that callers can
// add items of their own ("days 1, 15 and the last day").
func (d *specDescriber) fieldItems(vals []int, unit string, bare bool, name func(int) string) []string {
	if first, step, ok := progression(len(vals), func(i int) int { return vals[i] }); ok && len(vals) > 6 && step >= 2 {
		return []string{"every " + ordinal(step) + " " + unit + " from " + name(first) + " through " + name(vals[len(vals)-1])}
	}
	var items []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		if j-i >= 2 {
			items = append(items, name(vals[i])+" through "+name(vals[j]))
		} else {
			for k := i; k <= j; k++ {
				items = append(items, name(vals[k]))
			}
		}
		i = j + 1
	}
	if len(items) > maxListItems {
		d.irregular = true
	}
	switch {
	case bare:
	case len(vals) == 1:
		items[0] = unit + " " + items[0]
	default:
		items[0] = unit + "s " + items[0]
	}
	return items
}

// progression reports whether the n values at(0) < at(1) < … step evenly.
func progression(n int, at func(int) int) (first, step int, ok bool) {
	if n < 2 {
		return 0, 0, false
	}
	first, last := at(0), at(n-1)
	if (last-first)%(n-1) != 0 {
		return 0, 0, false
	}
	step = (last - first) / (n - 1)
	for i := 1; i < n-1; i++ {
		if at(i) != first+i*step {
			return 0, 0, false
		}
	}
	return first, step, step > 0
}

// hourRuns groups sorted hours into runs of consecutive hours.
func hourRuns(hours []int) [][2]int {
	var runs [][2]int
	for _, h := range hours {
		if len(runs) > 0 && runs[len(runs)-1][1] == h-1 {
			runs[len(runs)-1][1] = h
		} else {
			runs = append(runs, [2]int{h, h})
		}
	}
	return runs
}

// setVals lists the values lo..hi whose bit is set.
func setVals(set uint64, lo, hi int) []int {
	var vals []int
	for v := lo; v <= hi; v++ {
		if set&(1<<v) != 0 {
			vals = append(vals, v)
		}
	}
	return vals
}

// everyText says "every <step>" for a step in seconds.
func everyText(step int) string {
	switch {
	case step%3600 == 0:
		return "every " + unitCount(step/3600, "hour")
	case step%60 == 0:
		return "every " + unitCount(step/60, "minute")
	}
	return "every " + unitCount(step, "second")
}

// unitCount writes "hour" for 1 and "5 hours" otherwise, as after "every".
func unitCount(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// clockText writes seconds of the day as 09:30 or, with seconds, 09:30:05.
func clockText(x int, withSec bool) string {
	t := time.Date(2000, 1, 1, 0, 0, x, 0, time.UTC)
	if withSec {
		return t.Format("15:04:05")
	}
	return t.Format("15:04")
}

func atText(p string) string {
	if strings.HasPrefix(p, "every ") {
		return p
	}
	return "at " + p
}

// joinWords joins "a", "a and b", "a, b and c" (conj "and" or "or").
func joinWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func weekdayName(wd int) string { return time.Weekday(wd).String() }

func monthName(m int) string { return time.Month(m).String() }
