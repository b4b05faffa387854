package trigger

import (
	"testing"
	"time"
)

// Before standard time, zones kept local mean time, with offsets in
// seconds; they are written and read back with the seconds, as Python's
// isoformat writes them, so the instant survives a round trip.
func TestFormatTimeOffsetWithSeconds(t *testing.T) {
	sh, err := LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(1900, 1, 1, 0, 0, 0, 0, sh)
	text := FormatTime(at)
	if text != "1900-01-01T00:00:00+08:05:43" {
		t.Errorf("FormatTime = %s, want the offset with its seconds", text)
	}
	back, err := ParseTime(text, time.UTC)
	if err != nil || !back.Equal(at) {
		t.Errorf("ParseTime(%s) = %s, %v; want %s", text, back, err, at)
	}
}
