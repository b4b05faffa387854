package sundial_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// With other live nodes on its store, a node claims no more fires than
// its workers can start: a node whose one worker is busy leaves the fires
// due meanwhile to a node with idle workers, instead of queueing them
// behind its long run. Once its worker is free it claims again.
func TestClusterNodeClaimsNoMoreThanItsWorkersCanStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		release := make(chan struct{})
		var mu sync.Mutex
		ranOn := map[string]int{}
		hold := func(node string) sundial.Handler {
			return func(ctx context.Context, rc *sundial.RunContext) error {
				mu.Lock()
				ranOn[node]++
				mu.Unlock()
				<-release
				return nil
			}
		}
		regA, regB := sundial.NewRegistry(), sundial.NewRegistry()
		regA.Register("hold", hold("a"))
		regB.Register("hold", hold("b"))
		// Both nodes are up and see each other before anything is due.
		a := setup(t, sundial.Config{Store: st, Tasks: regA, NodeID: "a", Executors: map[string]int{"default": 1}})
		b := setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b", Executors: map[string]int{"default": 10}})
		time.Sleep(30 * time.Second / 3) // a heartbeat (default lease 30 s): each counts the other
		synctest.Wait()
		// b claims nothing until a has had its chance.
		b.Pause()
		due := time.Now().Add(time.Second)
		for _, id := range []string{"j1", "j2", "j3", "j4", "j5", "j6"} {
			if _, err := a.AddJob(ctx, sundial.JobSpec{ID: id, Task: "hold", Trigger: every(t, `{"type": "interval", "hours": 1}`), NextRunTime: due}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		b.Resume()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		mu.Lock()
		got := map[string]int{"a": ranOn["a"], "b": ranOn["b"]}
		mu.Unlock()
		if got["a"] != 1 || got["b"] != 5 {
			t.Errorf("runs started per node %v, want a:1 (its one worker) and b:5 (left to it)", got)
		}
		close(release)
	})
}
