package postgres_test

import (
	"errors"
	"testing"

	"github.com/sundial-scheduler/sundial/trigger"
)

func mustTrigger(t testing.TB, def string) trigger.Trigger {
	t.Helper()
	tr, err := trigger.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
