package metrics

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRegisters(t *testing.T) {
	t.Parallel()
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}

	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	_, err := New(reg)
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		t.Errorf("second New on one registry = %v, want an AlreadyRegisteredError", err)
	}
}

// Registration is all or nothing: when one name is taken, none of the
// other collectors stays registered.
func TestNewRegistersNothingOnConflict(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	taken := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sundial_runs_in_flight", Help: "Someone else's."})
	reg.MustRegister(taken)
	if _, err := New(reg); err == nil {
		t.Fatal("New succeeded with a name taken")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 {
		t.Errorf("registry serves %d families after a failed New, want only the one registered before", len(families))
	}
}
