package sundial

import (
	"context"
	"errors"
	"slices"
	"sort"
)

// DefaultStore is the name of Config.Store.
const DefaultStore = "default"

// storeList returns the stores in a fixed order: "default" first, then by
// name.
func storeList(cfg Config) ([]string, map[string]Store) {
	m := map[string]Store{DefaultStore: cfg.Store}
	names := []string{}
	for name, st := range cfg.Stores {
		m[name] = st
		names = append(names, name)
	}
	sort.Strings(names)
	return append([]string{DefaultStore}, names...), m
}

// storeFor returns the store a job lives in.
func (s *Scheduler) storeFor(job *Job) Store {
	return s.stores[s.storeKey(job)]
}

// storeKey is the name of the store a job lives in. Runs are grouped by
// it, never by comparing Store values: a store's dynamic type need not be
// comparable (a wrapper struct holding a func, for one).
func (s *Scheduler) storeKey(job *Job) string {
	if _, ok := s.stores[job.Store]; ok {
		return job.Store
	}
	return DefaultStore
}

// findJob looks a job up in every store, default first.
func (s *Scheduler) findJob(ctx context.Context, id string) (Store, *Job, error) {
	for _, name := range s.storeNames {
		st := s.stores[name]
		job, err := st.JobGet(ctx, id)
		if err == nil {
			return st, job, nil
		}
		if !errors.Is(err, ErrJobNotFound) {
			return nil, nil, err
		}
	}
	return nil, nil, ErrJobNotFound
}

// StoreNames lists the scheduler's stores, "default" first.
func (s *Scheduler) StoreNames() []string { return slices.Clone(s.storeNames) }

// StoreNamed returns a store by name.
func (s *Scheduler) StoreNamed(name string) (Store, bool) {
	st, ok := s.stores[name]
	return st, ok
}
