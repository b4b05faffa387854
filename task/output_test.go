package task

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCapBuffer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max    int
		writes []string
		want   string
	}{
		{10, []string{"hello\n"}, "hello\n"},
		{5, []string{"hello"}, "hello"},
		{5, []string{"hel", "lo", "!"}, "hello\n[1 more bytes dropped]"},
		{6, []string{"hello\n", "world\n"}, "hello\n[6 more bytes dropped]"},
		{0, []string{"abc"}, "[3 more bytes dropped]"},
		// A cut inside a character drops the whole character.
		{4, []string{"abcé!"}, "abc\n[3 more bytes dropped]"},
		{3, []string{"日本"}, "日\n[3 more bytes dropped]"},
		// Invalid bytes before the cut are kept as they are.
		{2, []string{"\xff\xfeabc"}, "\xff\xfe\n[3 more bytes dropped]"},
	} {
		b := newCapBuffer(tc.max)
		for _, w := range tc.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", w, n, err)
			}
		}
		if got := b.String(); got != tc.want {
			t.Errorf("max %d, writes %q: %q, want %q", tc.max, tc.writes, got, tc.want)
		}
	}
}

func TestKeepLimitLeavesRoomForTheNote(t *testing.T) {
	t.Parallel()
	b := newCapBuffer(keepLimit(DefaultExecMaxOutput, 0))
	b.Write([]byte(strings.Repeat("x", 1<<20)))
	if out := b.String(); len(out) > runOutputCap || !strings.HasSuffix(out, " more bytes dropped]") {
		t.Errorf("%d bytes ending %q: does not fit the run record with its note", len(out), out[len(out)-40:])
	}
	if keepLimit(100, runOutputCap) != 0 {
		t.Errorf("keepLimit with no room left is not 0")
	}
}

func TestTrimPartialRune(t *testing.T) {
	t.Parallel()
	s := "aé日🙂"
	for i := range len(s) + 1 {
		got := trimPartialRune([]byte(s[:i]))
		if !utf8.Valid(got) || !strings.HasPrefix(s, string(got)) || i-len(got) >= utf8.UTFMax {
			t.Errorf("trimPartialRune(%q) = %q", s[:i], got)
		}
	}
}
