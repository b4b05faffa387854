package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// LogLine is one JSON log record of a node (log/slog's JSON handler).
type LogLine struct {
	Time  string         `json:"time"`
	Level string         `json:"level"`
	Msg   string         `json:"msg"`
	Attrs map[string]any `json:"-"`
}

// ReadLog reads a node's JSON log records; lines that are not JSON records
// (the serving banner, the harness's start marks) are skipped.
func ReadLog(path string) ([]LogLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []LogLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		l := LogLine{Attrs: m}
		l.Time, _ = m["time"].(string)
		l.Level, _ = m["level"].(string)
		l.Msg, _ = m["msg"].(string)
		if l.Msg == "" {
			continue
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// CountLog counts a node's log records whose message contains msg.
func CountLog(path, msg string) int {
	lines, _ := ReadLog(path)
	n := 0
	for _, l := range lines {
		if strings.Contains(l.Msg, msg) {
			n++
		}
	}
	return n
}

// SummarizeLog lists a node's warnings and errors grouped by message, with
// their count and first occurrence, at most limit groups, most frequent
// first.
func SummarizeLog(path string, limit int) string {
	lines, err := ReadLog(path)
	if err != nil {
		return "  " + err.Error()
	}
	type group struct {
		level, msg, first string
		n                 int
	}
	groups := map[string]*group{}
	for _, l := range lines {
		if l.Level != "WARN" && l.Level != "ERROR" {
			continue
		}
		key := l.Level + " " + l.Msg
		g := groups[key]
		if g == nil {
			b, _ := json.Marshal(l.Attrs)
			g = &group{level: l.Level, msg: l.Msg, first: string(b)}
			groups[key] = g
		}
		g.n++
	}
	if len(groups) == 0 {
		return "  no warnings or errors"
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n })
	var b strings.Builder
	for i, g := range list {
		if i == limit {
			fmt.Fprintf(&b, "  … %d more kinds\n", len(list)-limit)
			break
		}
		first := g.first
		if len(first) > 400 {
			first = first[:400] + "…"
		}
		fmt.Fprintf(&b, "  %5d× %s %q  first: %s\n", g.n, g.level, g.msg, first)
	}
	return strings.TrimRight(b.String(), "\n")
}
