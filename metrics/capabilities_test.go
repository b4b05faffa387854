package metrics

import (
	"context"
	"fmt"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// fullStore has every optional capability and records the calls that
// reach it.
type fullStore struct {
	sundial.Store
	watch chan struct{}
	calls map[string]int
}

func (f *fullStore) Watch(context.Context) <-chan struct{} { f.calls["Watch"]++; return f.watch }

func (f *fullStore) InProcess() bool { return true }

func (f *fullStore) AuditAppend(context.Context, *sundial.AuditEntry) error {
	f.calls["AuditAppend"]++
	return nil
}

func (f *fullStore) AuditList(context.Context, sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	f.calls["AuditList"]++
	return nil, nil
}

func (f *fullStore) AuditPrune(context.Context, time.Time) (int, error) {
	f.calls["AuditPrune"]++
	return 0, nil
}

func (f *fullStore) Migrate(context.Context) error { f.calls["Migrate"]++; return nil }

func (f *fullStore) Close() error { f.calls["Close"]++; return nil }

// capsOf answers, by type assertions, which capabilities st has.
func capsOf(st sundial.Store) int {
	caps := 0
	if _, ok := st.(sundial.Watcher); ok {
		caps |= hasWatcher
	}
	if _, ok := st.(sundial.AuditLog); ok {
		caps |= hasAuditLog
	}
	if _, ok := st.(interface{ Migrate(context.Context) error }); ok {
		caps |= hasMigrate
	}
	if _, ok := st.(io.Closer); ok {
		caps |= hasClose
	}
	return caps
}

// For each of the 16 combinations, a store with exactly those
// capabilities (cut out of fullStore by combine, checked by assertions)
// is wrapped; the result has exactly the same ones, they reach the store,
// and all but Watch are timed.
func TestWrapStoreKeepsCapabilities(t *testing.T) {
	t.Parallel()
	for caps := range 16 {
		t.Run(fmt.Sprintf("caps=%04b", caps), func(t *testing.T) {
			t.Parallel()
			full := &fullStore{Store: memory.New(memory.Options{}), watch: make(chan struct{}, 1), calls: map[string]int{}}
			var (
				w  sundial.Watcher
				a  sundial.AuditLog
				mi migrator
				c  closer
			)
			if caps&hasWatcher != 0 {
				w = full
			}
			if caps&hasAuditLog != 0 {
				a = full
			}
			if caps&hasMigrate != 0 {
				mi = full
			}
			if caps&hasClose != 0 {
				c = full
			}
			in := combine(full, w, a, mi, c)
			if got := capsOf(in); got != caps {
				t.Fatalf("test store has capabilities %04b, want %04b", got, caps)
			}

			m := newMetrics(t)
			out := m.WrapStore("s", in)
			if got := capsOf(out); got != caps {
				t.Fatalf("wrapped store has capabilities %04b, want %04b", got, caps)
			}

			ctx := context.Background()
			want := map[string]int{}
			if _, err := out.NodeList(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if w, ok := out.(sundial.Watcher); ok {
				if ch := w.Watch(ctx); ch != full.watch {
					t.Error("Watch did not return the store's channel")
				}
				want["Watch"] = 1
			}
			if a, ok := out.(sundial.AuditLog); ok {
				_ = a.AuditAppend(ctx, &sundial.AuditEntry{Action: "job.create"})
				_, _ = a.AuditList(ctx, sundial.AuditListParams{})
				_, _ = a.AuditPrune(ctx, time.Now())
				want["AuditAppend"], want["AuditList"], want["AuditPrune"] = 1, 1, 1
			}
			if mi, ok := out.(migrator); ok {
				_ = mi.Migrate(ctx)
				want["Migrate"] = 1
			}
			if c, ok := out.(io.Closer); ok {
				_ = c.Close()
				want["Close"] = 1
			}
			if !maps.Equal(full.calls, want) {
				t.Errorf("calls reaching the store = %v, want %v", full.calls, want)
			}

			// One series per operation the store has, each with the
			// calls made.
			series := int(opNodeList) + 1
			for op, n := range want {
				if op == "Watch" {
					continue
				}
				series++
				if got := sampleCount(t, m.storeDuration.WithLabelValues("s", op)); got != uint64(n) {
					t.Errorf("samples of %s = %d, want %d", op, got, n)
				}
			}
			if got := testutil.CollectAndCount(m.storeErrors); got != series {
				t.Errorf("error series = %d, want %d", got, series)
			}
		})
	}
}

// The wrapper answers InProcess for the store it wraps: true for the
// memory store, false for a store that does not say.
func TestWrapStoreAnswersInProcess(t *testing.T) {
	t.Parallel()
	m := newMetrics(t)
	mem := memory.New(memory.Options{})
	if !inProcessOf(m.WrapStore("mem", mem)) {
		t.Error("wrapped memory store: InProcess false, want true")
	}
	other := struct{ sundial.Store }{mem} // says nothing
	if inProcessOf(other) {
		t.Fatal("test store answers InProcess")
	}
	if inProcessOf(m.WrapStore("other", other)) {
		t.Error("wrapped store that does not say: InProcess true, want false")
	}
}

func inProcessOf(st sundial.Store) bool {
	ip, ok := st.(sundial.InProcessStore)
	return ok && ip.InProcess()
}
