package console

import (
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// The overview's timeline of the next hour's fires, drawn on the server as
// inline SVG in a 1000-wide view box: job names on the left, one row per
// job, one mark per fire.
const (
	tlWidth     = 1000
	tlLabel     = 230 // width of the name column
	tlRight     = 20  // margin after the last tick
	tlRowHeight = 30
	tlAxis      = 30 // height of the time axis
	tlMaxRows   = 15 // jobs drawn; the rest are counted
	tlMaxMarks  = 60 // fires drawn per job; more are summed up as "60+"
	tlNameChars = 30
)

// timeline is what the overview template draws.
type timeline struct {
	From, To time.Time
	Width    int
	Height   int
	Rows     []timelineRow
	Ticks    []timelineTick
	// MoreJobs counts jobs that fire in the window but have no row.
	MoreJobs int
	// Fires counts the marks drawn.
	Fires int
}

type timelineRow struct {
	JobID string
	Name  string // shortened for the label
	Full  string // the job's whole name
	Y     int    // the row's centre line
	TextY int
	Marks []timelineMark
	More  bool // the job fires more often than tlMaxMarks in the window
}

type timelineMark struct {
	X  float64
	At time.Time
}

type timelineTick struct {
	X     float64
	Label string
}

// x places t on the axis.
func (tl *timeline) x(t time.Time) float64 {
	span := float64(tl.To.Sub(tl.From))
	return round1(tlLabel + float64(t.Sub(tl.From))/span*float64(tlWidth-tlLabel-tlRight))
}

// AxisEnd is the x of the window's end.
func (tl *timeline) AxisEnd() int { return tlWidth - tlRight }

// LabelWidth is the x where the axis starts.
func (tl *timeline) LabelWidth() int { return tlLabel }

// AxisY is the y of the time axis line.
func (tl *timeline) AxisY() int { return tl.Height - tlAxis + 6 }

// TickTextY is the y of the tick labels.
func (tl *timeline) TickTextY() int { return tl.Height - 6 }

// buildTimeline lays out the fires of jobs (ordered by next fire time, as
// ListJobs returns them) in [from, from+window), in the zone loc. The work
// is bounded: at most tlMaxRows jobs are expanded, each to at most
// tlMaxMarks+1 fire times.
func buildTimeline(jobs []*sundial.Job, from time.Time, window time.Duration, loc *time.Location) *timeline {
	tl := &timeline{From: from, To: from.Add(window), Width: tlWidth}
	for _, j := range jobs {
		if !j.Scheduled() {
			continue
		}
		if !j.NextRunTime.Before(tl.To) {
			break // jobs come by next fire time: none further fires in the window
		}
		if len(tl.Rows) == tlMaxRows {
			tl.MoreJobs++
			continue
		}
		fires, _ := trigger.Upcoming(j.Trigger, from, tlMaxMarks+1)
		// A next fire time set by hand, or one overdue, is the job's own.
		if !j.NextRunTime.Before(from) && !slices.ContainsFunc(fires, j.NextRunTime.Equal) {
			fires = append(fires, j.NextRunTime)
			slices.SortFunc(fires, time.Time.Compare)
		}
		row := timelineRow{JobID: j.ID, Full: j.Name, Name: shorten(j.Name, tlNameChars)}
		for _, f := range fires {
			if f.Before(from) || !f.Before(tl.To) {
				continue
			}
			if len(row.Marks) == tlMaxMarks {
				row.More = true
				break
			}
			row.Marks = append(row.Marks, timelineMark{At: f.In(j.Trigger.Location())})
		}
		if len(row.Marks) == 0 {
			continue
		}
		tl.Rows = append(tl.Rows, row)
	}
	for i := range tl.Rows {
		r := &tl.Rows[i]
		r.Y = i*tlRowHeight + tlRowHeight/2
		r.TextY = r.Y + 5
		for k := range r.Marks {
			r.Marks[k].X = tl.x(r.Marks[k].At)
		}
		tl.Fires += len(r.Marks)
	}
	tl.Height = len(tl.Rows)*tlRowHeight + tlAxis
	// Ticks every 10 minutes of wall time in the scheduler's zone.
	t := from.In(loc)
	t = t.Add(-time.Duration(t.Minute()%10)*time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	for ; t.Before(tl.To); t = t.Add(10 * time.Minute) {
		if t.Before(from) {
			continue
		}
		tl.Ticks = append(tl.Ticks, timelineTick{X: tl.x(t), Label: t.Format("15:04")})
	}
	return tl
}

// shorten cuts s to at most n characters, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
