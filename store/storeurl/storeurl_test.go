package storeurl_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/storeurl"
)

func TestMySQLDSN(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"mysql://u:p@db.example:3307/sched", "u:p@tcp(db.example:3307)/sched?"},
		{"mysql://u@db/sched", "u@tcp(db:3306)/sched?"},
		{"mariadb://u@db:3306/sched?timeout=5s", "timeout=5s"},
	} {
		got, err := storeurl.MySQLDSN(tc.url)
		if err != nil {
			t.Errorf("MySQLDSN(%q): %v", tc.url, err)
			continue
		}
		if !strings.Contains(got, tc.want) || !strings.Contains(got, "parseTime=true") {
			t.Errorf("MySQLDSN(%q) = %q, want it to contain %q and parseTime=true", tc.url, got, tc.want)
		}
	}
	if _, err := storeurl.MySQLDSN("mysql://u@db:3306/"); err == nil || !strings.Contains(err.Error(), "database name") {
		t.Errorf("a URL without a database: err = %v, want one naming the database", err)
	}
}

func TestRedact(t *testing.T) {
	got := storeurl.Redact("postgres://admin:s3cret@db/sundial")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "admin") {
		t.Errorf("Redact = %q, want the user kept and the password hidden", got)
	}
}

func TestOpenRefusesUnknown(t *testing.T) {
	for _, raw := range []string{"./sundial.db", "ftp://x", "sqlite://"} {
		if _, err := storeurl.Open(context.Background(), raw, storeurl.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", raw)
		}
	}
}

func TestOpenSQLiteAndMemory(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{"memory://", "sqlite://" + filepath.Join(t.TempDir(), "s.db")} {
		st, err := storeurl.Open(ctx, raw, storeurl.Options{})
		if err != nil {
			t.Fatalf("Open(%q): %v", raw, err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Errorf("Migrate(%q): %v", raw, err)
		}
		if _, err := st.JobGet(ctx, "none"); err == nil {
			t.Errorf("%s: JobGet of nothing succeeded", raw)
		} else if !strings.Contains(err.Error(), sundial.ErrJobNotFound.Error()) {
			t.Errorf("%s: JobGet of nothing: %v, want job not found", raw, err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("Close(%q): %v", raw, err)
		}
	}
}
