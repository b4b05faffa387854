package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrateCreatesSQLiteSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	var out, errOut bytes.Buffer
	for range 2 { // a second run finds nothing to do
		out.Reset()
		if err := run(context.Background(), []string{"migrate", "--store", "sqlite://" + path}, nil, &out, &errOut); err != nil {
			t.Fatalf("migrate: %v (%s)", err, errOut.String())
		}
		if !strings.Contains(out.String(), "schema is up to date") {
			t.Errorf("output = %q", out.String())
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("the database file was not created: %v", err)
	}
}

func TestMigrateBadStore(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"migrate", "--store", "ftp://x"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("err = %v, want unknown scheme", err)
	}
}
