//go:build race

package chaos_test

// raceEnabled: built with -race. The scenarios skip then: they measure
// timing, and scripts/test's race pass runs packages side by side, while a
// store restart must not pull the servers from under other packages.
const raceEnabled = true
