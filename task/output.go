package task

import (
	"fmt"
	"sync"
	"unicode/utf8"
)

// runOutputCap is the bound RunContext.Output documents (64 KiB): the
// handlers keep what they capture, plus their note about what they dropped,
// within it, so the note is never the part the run record loses.
const runOutputCap = 64 << 10

// capBuffer keeps the first max bytes written to it and counts the rest.
// Writes never fail, so a chatty program is never blocked or broken by a
// full buffer. It is safe for concurrent use.
type capBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

func newCapBuffer(max int) *capBuffer {
	return &capBuffer{max: max}
}

// Write keeps what fits and counts the rest as dropped.
func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := max(b.max-len(b.buf), 0)
	keep := min(room, len(p))
	b.buf = append(b.buf, p[:keep]...)
	b.dropped += int64(len(p) - keep)
	return len(p), nil
}

// String returns what was kept, followed by a line "[N more bytes
// dropped]" when something was dropped.
func (b *capBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept, dropped := b.buf, b.dropped
	if dropped > 0 {
		kept = trimPartialRune(kept)
		dropped += int64(len(b.buf) - len(kept))
	}
	return withDropNote(string(kept), dropped)
}

// withDropNote appends the note "[N more bytes dropped]" on a line of its
// own when dropped > 0.
func withDropNote(kept string, dropped int64) string {
	if dropped == 0 {
		return kept
	}
	if kept != "" && kept[len(kept)-1] != '\n' {
		kept += "\n"
	}
	return kept + fmt.Sprintf("[%d more bytes dropped]", dropped)
}

// keepLimit is how many bytes of captured output a handler keeps for a
// configured limit when reserved bytes of other output go with them: the
// limit, lowered so that all of it and the note about what was dropped fit
// in what the run record keeps.
func keepLimit(limit, reserved int) int {
	const noteRoom = 64 // "\n[N more bytes dropped]" with N up to 2^63
	return max(min(limit, runOutputCap-noteRoom-reserved), 0)
}

// trimPartialRune drops an incomplete UTF-8 sequence that a cut left at
// the end of b, so a truncated text stays valid where it was valid.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
