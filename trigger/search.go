package trigger

import (
	"math"
	"time"
)

// nextInstant returns the smallest fire instant >= x (Unix seconds) of a spec
// evaluated on the wall clock of loc, under the DST rules of the
// conformance README:
//
//   - a matching wall time that exists once fires at that instant;
//   - one that occurs twice (clocks go back) fires at both instants;
//   - one that does not exist (clocks go forward) fires once, at the wall
//     time read with the offset in force before the jump;
//   - every existing matching wall time fires (no day is skipped).
//
// The search walks the zone's constant-offset segments. Within a segment
// [a, b) with offset o, the matching walls in [a+o, b+o) fire at wall-o; a
// segment that starts with a spring-forward jump from offset ob also holds
// the shifted fires of the gap walls [a+ob, a+o) at wall-ob.
func (s *spec) nextInstant(loc *time.Location, x int64) (int64, bool) {
	ws := wallSearch{spec: s, exhausted: math.MaxInt64}
	for {
		seg := segmentAt(loc, x)
		best, found := int64(0), false
		if w, ok := ws.next(x + seg.offset); ok {
			if seg.end == math.MaxInt64 || w < seg.end+seg.offset {
				best, found = w-seg.offset, true
			}
		}
		if seg.start != math.MinInt64 && x-seg.start < secondsPerDay {
			if ob := segmentAt(loc, seg.start-1).offset; ob < seg.offset {
				lo := max(x+ob, seg.start+ob)
				hi := seg.start + seg.offset
				if lo < hi {
					if w, ok := ws.next(lo); ok && w < hi {
						if c := w - ob; !found || c < best {
							best, found = c, true
						}
					}
				}
			}
		}
		if found {
			return best, true
		}
		if seg.end == math.MaxInt64 {
			return 0, false
		}
		// The next segment searches from seg.end+offset' (at least
		// seg.end-maxOffset) and its gap walls from seg.end+seg.offset.
		if seg.end-maxOffset >= ws.exhausted && seg.end+seg.offset >= ws.exhausted {
			return 0, false
		}
		x = seg.end
	}
}

// wallSearch remembers what one nextInstant call already learnt about the
// matching walls, so that walking many segments does not repeat a long scan.
type wallSearch struct {
	spec       *spec
	exhausted  int64 // no wall >= exhausted matches
	lo, hit    int64 // walls in [lo, hit) do not match; hit matches
	haveCached bool
}

func (ws *wallSearch) next(from int64) (int64, bool) {
	if from >= ws.exhausted {
		return 0, false
	}
	if ws.haveCached && from >= ws.lo && from <= ws.hit {
		return ws.hit, true
	}
	w, ok := ws.spec.nextWall(from)
	if !ok {
		ws.exhausted = from
		return 0, false
	}
	ws.lo, ws.hit, ws.haveCached = from, w, true
	return w, true
}
