package chaos

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Long reports whether the long form runs (SUNDIAL_CHAOS=long): every
// scenario on every backend at full size.
func Long() bool { return os.Getenv("SUNDIAL_CHAOS") == "long" }

// Size picks the short or the long form's value.
func Size[T any](short, long T) T {
	if Long() {
		return long
	}
	return short
}

// BackendsFor are the backends a scenario runs on: those listed in
// SUNDIAL_CHAOS_BACKENDS (comma-separated) when set; else all of them in
// the long form, and in the short form one, the index-th of the rotation.
func BackendsFor(index int) []string {
	if v := os.Getenv("SUNDIAL_CHAOS_BACKENDS"); v != "" {
		return strings.Split(v, ",")
	}
	if Long() {
		return Backends
	}
	return []string{Backends[index%len(Backends)]}
}

// KnownGap skips a scenario that fails on a known gap of the scheduler,
// unless SUNDIAL_CHAOS_KNOWN_GAPS=1 (or the long form) asks to run it.
func KnownGap(t *testing.T, gap string) {
	t.Helper()
	if GapsEnabled() {
		return
	}
	t.Skipf("known scheduler gap, skipped unless SUNDIAL_CHAOS_KNOWN_GAPS=1: %s", gap)
}

// GapsEnabled reports whether known scheduler gaps fail the tests
// (SUNDIAL_CHAOS_KNOWN_GAPS=1, or the long form).
func GapsEnabled() bool { return os.Getenv("SUNDIAL_CHAOS_KNOWN_GAPS") == "1" || Long() }

// KnownGapFailure records a failure caused by a known scheduler gap: a
// failure when GapsEnabled, else a note that says so, so that the rest of
// the scenario still guards the default run.
func (rp *Report) KnownGapFailure(gap, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if GapsEnabled() {
		rp.Fail("%s [known gap: %s]", msg, gap)
		return
	}
	rp.Note("KNOWN GAP, not failing the test (SUNDIAL_CHAOS_KNOWN_GAPS=1 makes it fail): %s [%s]", msg, gap)
}
