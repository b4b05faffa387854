package console

import (
	"math"
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// The job page's chart of run durations: one bar per run, oldest on the
// left, drawn on the server as inline SVG in a fixed view box.
const (
	chartWidth  = 1000
	chartHeight = 160
	chartLeft   = 70 // room for the scale's labels
	chartTop    = 10
	chartBottom = 20
)

// durationChart is what the job template draws.
type durationChart struct {
	Width, Height int
	Bars          []chartBar
	Max           time.Duration
	// BaseY is the y of the zero line; MaxY of the largest bar's top.
	BaseY, MaxY int
	Left        int
}

type chartBar struct {
	Run     *sundial.Run
	X, Y, W float64
	H       float64
}

// buildDurationChart draws the runs (newest first, as ListRuns returns
// them) that started; nil when none did.
func buildDurationChart(runs []*sundial.Run) *durationChart {
	var started []*sundial.Run
	for _, r := range runs {
		if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
			started = append(started, r)
		}
	}
	if len(started) == 0 {
		return nil
	}
	slices.Reverse(started)
	ch := &durationChart{Width: chartWidth, Height: chartHeight, Left: chartLeft,
		BaseY: chartHeight - chartBottom, MaxY: chartTop}
	for _, r := range started {
		ch.Max = max(ch.Max, r.Duration())
	}
	if ch.Max <= 0 {
		ch.Max = time.Millisecond
	}
	plot := float64(ch.BaseY - chartTop)
	slot := float64(chartWidth-chartLeft) / float64(max(len(started), 10))
	for i, r := range started {
		h := math.Max(1, float64(r.Duration())/float64(ch.Max)*plot)
		ch.Bars = append(ch.Bars, chartBar{Run: r,
			X: round1(chartLeft + float64(i)*slot + slot*0.15), W: round1(slot * 0.7),
			Y: round1(float64(ch.BaseY) - h), H: round1(h)})
	}
	return ch
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
