package main

import (
	"fmt"
	"time"
)

// peerNames are the schedulers measured, Sundial first; the tables show
// them in this order.
var peerNames = []string{"sundial", "robfig", "gocron", "quartz"}

// peerTitles name the peers' modules in notes.
var peerTitles = map[string]string{
	"sundial": "Sundial (memory store)",
	"robfig":  "robfig/cron v3",
	"gocron":  "go-co-op/gocron v2",
	"quartz":  "reugn/go-quartz",
}

// driver adapts one scheduler to the scenarios: it adds job i with a plan
// and starts the scheduler. Every job's handler calls recorder.hit.
type driver interface {
	add(i int, p plan) error
	start() error
	// stop releases a scheduler that is thrown away (calibration, a retried
	// setup); measured ones are never stopped, the child just exits.
	stop()
}

// planKind is the shape of a job's schedule.
type planKind int

const (
	// planHourly fires every hour, first one hour after it is added (the
	// add scenario: nothing fires while jobs are added).
	planHourly planKind = iota
	// planAt fires once, at at.
	planAt
	// planEverySecond fires every whole second from at (a whole second).
	planEverySecond
	// planDaily fires every day at tod seconds after midnight UTC.
	planDaily
)

// plan is one job's schedule.
type plan struct {
	kind planKind
	at   time.Time
	tod  int
}

// hms splits a plan's time of day.
func (p plan) hms() (h, m, s int) { return p.tod / 3600, p.tod / 60 % 60, p.tod % 60 }

// newDriver returns a fresh, unstarted scheduler of the named peer whose
// jobs report to rec.
func newDriver(peer string, rec *recorder) (driver, error) {
	switch peer {
	case "sundial":
		return newSundialDriver(rec)
	case "robfig":
		return newRobfigDriver(rec), nil
	case "gocron":
		return newGocronDriver(rec)
	case "quartz":
		return newQuartzDriver(rec)
	}
	return nil, fmt.Errorf("unknown peer %q", peer)
}

// newDriver returns a fresh, unstarted scheduler for the child's
// measurement: Sundial on the child's store when it names one, else the
// child's peer.
func (c *childEnv) newDriver(rec *recorder) (driver, error) {
	if c.store != "" {
		return newStoreDriver(c.store, c.claimBatch, rec)
	}
	return newDriver(c.peer, rec)
}

// addQuadratic lists the peers whose add costs grow with the number of jobs
// already there (before start): go-quartz's JobQueue.Push copies and scans
// the whole queue on every add to refuse a duplicate key.
var addQuadratic = map[string]bool{"quartz": true}
