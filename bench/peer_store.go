package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/storeurl"
)

// storeDriver runs Sundial as a deployment does (the stores scenario): on
// a store opened by URL, with its run history on (every fire recorded:
// submitted at the claim, then running, then its outcome) and every
// Config field at its default except ClaimBatch. Warnings and errors go
// to stderr, whose last line the parent shows when a child fails.
type storeDriver struct {
	*sundialDriver
	st storeurl.Store
}

// storeOpenTimeout bounds opening (and migrating) a store.
const storeOpenTimeout = 30 * time.Second

func newStoreDriver(url string, claimBatch int, rec *recorder) (*storeDriver, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeOpenTimeout)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := storeurl.Open(ctx, url, storeurl.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	d, err := newSundialWith(sundial.Config{Store: st, Logger: log, ClaimBatch: claimBatch}, rec)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &storeDriver{sundialDriver: d, st: st}, nil
}

// stop shuts the scheduler down and removes its jobs, so that the next
// driver on the same store (a measurement after a calibration) starts
// without them, then closes the store.
func (d *storeDriver) stop() {
	d.sundialDriver.stop()
	ctx, cancel := context.WithTimeout(context.Background(), storeOpenTimeout)
	defer cancel()
	if _, err := d.st.JobRemoveAll(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench: remove the jobs of a discarded scheduler:", err)
	}
	d.st.Close()
}

// add adds job i with its times in UTC, so that what a durable store
// keeps does not depend on the host's zone.
func (d *storeDriver) add(i int, p plan) error {
	p.at = p.at.UTC()
	return d.sundialDriver.add(i, p)
}
