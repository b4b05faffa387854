package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// writeTable writes rows under a header as aligned columns.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = cell(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// cell is a value as a table or field shows it: "-" for nothing, and
// quoted when it holds tabs, newlines or other control characters (which
// would break the columns or drive the terminal).
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// writeFields writes the members of a JSON object as "key: value" lines,
// in the order the API sent them: strings as they are, null as "-", other
// values as compact JSON.
func writeFields(w io.Writer, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("the answer is not a JSON object")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("the answer is not valid JSON: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("the answer is not valid JSON: %w", err)
		}
		fmt.Fprintf(tw, "%s:\t%s\n", cell(key), fieldValue(raw))
	}
	return tw.Flush()
}

// fieldValue is how writeFields shows one value.
func fieldValue(raw json.RawMessage) string {
	var s string
	switch {
	case string(raw) == "null":
		return "-"
	case json.Unmarshal(raw, &s) == nil:
		return cell(s)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return cell(string(raw))
	}
	return buf.String()
}

// duration shows a duration in seconds from the API, rounded for people.
func duration(secs *float64) string {
	if secs == nil {
		return ""
	}
	d := time.Duration(*secs * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// orEmpty is the string a pointer holds, or "".
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
