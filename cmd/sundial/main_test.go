package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// result is what one in-process run of the command printed and returned.
type result struct {
	stdout, stderr string
	err            error
}

// runCmd runs the command in-process with args and the given standard input.
func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// lines splits output into lines without the final newline.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCmd(t, "", args...)
		if r.err != nil {
			t.Fatalf("%v: %v", args, r.err)
		}
		if !strings.HasPrefix(r.stdout, "sundial dev (go1.") || !strings.HasSuffix(r.stdout, ")\n") {
			t.Errorf("%v: stdout = %q, want \"sundial dev (go1.xx os/arch)\"", args, r.stdout)
		}
	}
	if r := runCmd(t, "", "version", "extra"); exitCode(r.err) != 2 {
		t.Errorf("version extra: err = %v, want a usage error", r.err)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantErr  string // "" for success
		inStdout string // text expected on stdout
		inStderr string // text expected on stderr
	}{
		{"no command", nil, "sundial: no command given", "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, `sundial: unknown command "frobnicate"`, "", "Commands:"},
		{"help", []string{"help"}, "", "Commands:", ""},
		{"--help", []string{"--help"}, "", "Commands:", ""},
		{"help next", []string{"help", "next"}, "", "--batch", ""},
		{"next -h", []string{"next", "-h"}, "", "Examples:", ""},
		{"help unknown", []string{"help", "nope"}, `sundial: help: unknown command "nope"`, "", "Commands:"},
		{"unknown flag", []string{"next", "--nope"}, "sundial next: flag provided but not defined: -nope", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, "", tt.args...)
			if tt.wantErr == "" {
				if r.err != nil {
					t.Fatalf("err = %v", r.err)
				}
			} else {
				if r.err == nil || r.err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", r.err, tt.wantErr)
				}
				if got := exitCode(r.err); got != 2 {
					t.Errorf("exit code = %d, want 2", got)
				}
			}
			if !strings.Contains(r.stdout, tt.inStdout) {
				t.Errorf("stdout = %q, want it to contain %q", r.stdout, tt.inStdout)
			}
			if !strings.Contains(r.stderr, tt.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.inStderr)
			}
		})
	}
}
