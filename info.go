package sundial

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// NodeID is the name this scheduler registers under in its stores.
func (s *Scheduler) NodeID() string { return s.cfg.NodeID }

// Location is the zone of triggers that name none (Config.Timezone).
func (s *Scheduler) Location() *time.Location { return s.cfg.Timezone }

// Now reads the scheduler's clock (Config.Clock): this node's time, which
// may differ from a store's (see StoreNow).
func (s *Scheduler) Now() time.Time { return s.clock.Now() }

// Executors returns the executors' names and worker counts.
func (s *Scheduler) Executors() map[string]int { return maps.Clone(s.cfg.Executors) }

// JobDefaults returns the options of jobs that do not set them.
func (s *Scheduler) JobDefaults() Options { return *s.cfg.JobDefaults }

// GetRun returns a run by id from any store, or ErrRunNotFound.
func (s *Scheduler) GetRun(ctx context.Context, id string) (*Run, error) {
	for _, name := range s.storeNames {
		r, err := s.stores[name].RunGet(ctx, id)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrRunNotFound) {
			return nil, fmt.Errorf("get run %q from store %s: %w", id, name, err)
		}
	}
	return nil, ErrRunNotFound
}

// ListNodes returns the nodes registered in the default store, the live
// ones and those whose lease ended less than forget ago.
func (s *Scheduler) ListNodes(ctx context.Context, forget time.Duration) ([]*Node, error) {
	nodes, err := s.store.NodeList(ctx, forget)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return nodes, nil
}
