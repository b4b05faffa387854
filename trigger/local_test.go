package trigger_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// Triggers built in time.Local are stored with the zone's IANA name, so
// that they read back (a stored "Local" would mean another zone on another
// host, and Parse refuses it).
func TestLocalZoneIsNamed(t *testing.T) {
	t.Setenv("TZ", "Asia/Tokyo")
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	cron, err := trigger.NewCron(trigger.CronFields{Hour: "2"}, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []trigger.Trigger{trigger.NewDate(at.Local()), cron} {
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		back, err := trigger.Parse(b)
		if err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if back.Location().String() == "Local" {
			t.Errorf("%s read back in zone Local", b)
		}
	}
	if got, _ := trigger.NewDate(at.Local()).First(at.Add(-time.Minute)); !got.Equal(at) {
		t.Errorf("date trigger in Local fires at %s, want %s", got, at)
	}
}
