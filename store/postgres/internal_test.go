package postgres

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "57P01"}, false},
		{errors.New("something else"), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"ünïcødé":      "ünïcødé",
		"a\x00b":       "a\uFFFDb",
		"bad \xff end": "bad \uFFFD end",
		"":             "",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for in, want := range map[float64]time.Duration{0: 0, 30: 30 * time.Second, 1.5: 1500 * time.Millisecond, 1e-9: 1} {
		if got, err := seconds(in); err != nil || got != want {
			t.Errorf("seconds(%v) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []float64{1e300, -1e300} {
		if _, err := seconds(in); err == nil {
			t.Errorf("seconds(%v): no error", in)
		}
	}
}

func TestJSONText(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		open    byte
		want    string
		wantErr bool
	}{
		{"", '[', "[]", false},
		{"null", '{', "{}", false},
		{`[1, "two"]`, '[', `[1, "two"]`, false},
		{`{"k": 1}`, '[', "", true},
		{`[1,`, '[', "", true},
	} {
		got, err := jsonText([]byte(tc.raw), tc.open, map[byte]string{'[': "[]", '{': "{}"}[tc.open])
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("jsonText(%q, %c) = %q, %v; want %q (error %t)", tc.raw, tc.open, got, err, tc.want, tc.wantErr)
		}
	}
}
