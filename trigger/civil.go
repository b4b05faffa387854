package trigger

// Civil (wall-clock) calendar arithmetic on plain integers. A wall time is
// held as "wall seconds": seconds since 1970-01-01 00:00:00 of a calendar
// with no time zone, so every day has 86 400 of them. Zones come in only when
// a wall time is turned into an instant (zone.go).

const secondsPerDay = 86400

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64(m+9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	return a - floorDiv(a, b)*b
}

func isLeap(y int) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// daysIn returns the number of days in month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekdayOfDays returns the weekday of a day number, 0 = Sunday … 6 = Saturday
// (time.Weekday numbering). 1970-01-01 was a Thursday.
func weekdayOfDays(days int64) int {
	return int(floorMod(days+4, 7))
}

// isoWeek returns the ISO 8601 week number of the day with number days.
func isoWeek(days int64) int {
	// The ISO week belongs to the year of its Thursday.
	wd := (weekdayOfDays(days) + 6) % 7 // 0 = Monday
	thursday := days - int64(wd) + 3
	ty, _, _ := civilFromDays(thursday)
	jan1 := daysFromCivil(ty, 1, 1)
	return int((thursday-jan1)/7) + 1
}

// wallOf returns the wall seconds of a civil date and time.
func wallOf(y, mo, d, h, mi, s int) int64 {
	return daysFromCivil(y, mo, d)*secondsPerDay + int64(h*3600+mi*60+s)
}

// splitWall breaks wall seconds into civil fields.
func splitWall(w int64) (y, mo, d, h, mi, s int) {
	days := floorDiv(w, secondsPerDay)
	sod := int(w - days*secondsPerDay)
	y, mo, d = civilFromDays(days)
	return y, mo, d, sod / 3600, sod / 60 % 60, sod % 60
}
