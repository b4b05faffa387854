package memory_test

import (
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/store/storetest"
)

// The memory store cannot be shared between processes: its multi-process
// test runs the four schedulers in this process, on one store.
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, storetest.MultiProcessConfig{
		Shared: func(*testing.T) sundial.Store { return memory.New(memory.Options{}) },
	})
}

func TestClaimRace(t *testing.T) {
	storetest.ClaimRace(t, memory.New(memory.Options{}), 0, 0)
}
