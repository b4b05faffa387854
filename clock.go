package sundial

import "time"

// Clock is the scheduler's only source of the current time. Trigger
// arithmetic, catch-up decisions and run records all read it, so tests can
// control time; leases in shared stores are judged by the store's own clock,
// and with Config.StoreClock on (the default with the system clock) the
// times the scheduler compares with a store's are Clock's plus the offset
// measured to that store's clock (see StoreClockMode).
type Clock interface {
	Now() time.Time
}

// SystemClock reads the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ClockFunc adapts a function to a Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
