//go:build !race

package chaos_test

// raceEnabled: built with -race (see race_test.go).
const raceEnabled = false
