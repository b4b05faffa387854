package task

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"python3 report.py", []string{"python3", "report.py"}},
		{"  a \t b\n\tc  ", []string{"a", "b", "c"}},
		{`echo 'a  b' "c d"`, []string{"echo", "a  b", "c d"}},
		{`a'b'"c"d`, []string{"abcd"}},
		{`'' ""`, []string{"", ""}},
		{`echo "it's"`, []string{"echo", "it's"}},
		{`echo 'say "hi"'`, []string{"echo", `say "hi"`}},
		{`echo a\ b`, []string{"echo", `a\`, "b"}}, // no escaping
		{`echo $HOME; rm -rf * | x > y`, []string{"echo", "$HOME;", "rm", "-rf", "*", "|", "x", ">", "y"}},
		{"échec\u00a0x", []string{"échec\u00a0x"}}, // only ASCII white space separates
	} {
		got, err := splitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "   ", `echo 'open`, `echo "open`, `a"b'`} {
		if got, err := splitCommand(in); err == nil {
			t.Errorf("splitCommand(%q) = %q, want an error", in, got)
		}
	}
}

// joinCommand quotes words so that splitCommand returns them: a word
// without white space or quotes as is, any other in single quotes, with a
// single quote written as "'".
func joinCommand(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && !strings.ContainsFunc(w, func(r rune) bool {
			return r == '\'' || r == '"' || r < 0x80 && isSpace(byte(r))
		}) {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'"'"'`))
		b.WriteByte('\'')
	}
	return b.String()
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{
		"python3 report.py --day 'last monday'",
		`a'b'"c"d ''`,
		`echo "it's" 'say "hi"'`,
		"\t\n",
		`'unterminated`,
		"\x00 \xff '\x80'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitCommand(s)
		if err != nil {
			return
		}
		if len(words) == 0 {
			t.Fatalf("splitCommand(%q) returned no words and no error", s)
		}
		again, err := splitCommand(joinCommand(words))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("split(join(split(%q))) = %q, %v; want %q", s, again, err, words)
		}
	})
}
