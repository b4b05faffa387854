package trigger

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// named replaces time.Local (whose name, "Local", means a different zone
// on every host and cannot be stored) with the IANA zone it stands for on
// this host: $TZ, else the target of /etc/localtime. When neither names a
// zone it returns UTC if the local zone is UTC all year, and time.Local
// otherwise (the trigger then cannot be stored, and says so when parsed).
func named(loc *time.Location) *time.Location {
	if loc != time.Local {
		return loc
	}
	localOnce.Do(func() { localNamed = resolveLocal() })
	return localNamed
}

var (
	localOnce  sync.Once
	localNamed *time.Location
)

func resolveLocal() *time.Location {
	candidates := []string{strings.TrimPrefix(os.Getenv("TZ"), ":")}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, after, ok := strings.Cut(target, "zoneinfo/"); ok {
			candidates = append(candidates, after)
		}
	}
	for _, name := range candidates {
		if name == "" || name == "Local" {
			continue
		}
		if loc, err := LoadLocation(name); err == nil {
			return loc
		}
	}
	jan := time.Date(2025, 1, 1, 0, 0, 0, 0, time.Local)
	jul := time.Date(2025, 7, 1, 0, 0, 0, 0, time.Local)
	if _, a := jan.Zone(); a == 0 {
		if _, b := jul.Zone(); b == 0 {
			return time.UTC
		}
	}
	return time.Local
}
