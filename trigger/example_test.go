package trigger_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// Preview the next fire times of a cron trigger.
func ExampleParse() {
	t, err := trigger.Parse([]byte(`{"type": "cron", "day_of_week": "mon-fri", "hour": "9", "minute": "30", "timezone": "Asia/Shanghai"}`))
	if err != nil {
		panic(err)
	}
	from := time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)
	fires, _ := trigger.Upcoming(t, from, 3)
	for _, f := range fires {
		fmt.Println(trigger.FormatTime(f), f.Weekday())
	}
	// Output:
	// 2024-05-31T09:30:00+08:00 Friday
	// 2024-06-03T09:30:00+08:00 Monday
	// 2024-06-04T09:30:00+08:00 Tuesday
}

// A wall time inside a DST gap fires once, shifted forward by the gap; a
// repeated wall time fires twice.
func ExampleNewCrontab_dst() {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	t, _ := trigger.NewCrontab("30 2 * * *", berlin)
	fires, _ := trigger.Upcoming(t, time.Date(2024, 3, 30, 12, 0, 0, 0, berlin), 2)
	fmt.Println(trigger.FormatTime(fires[0]), trigger.FormatTime(fires[1]))

	fires, _ = trigger.Upcoming(t, time.Date(2024, 10, 27, 0, 0, 0, 0, berlin), 2)
	fmt.Println(trigger.FormatTime(fires[0]), trigger.FormatTime(fires[1]))
	// Output:
	// 2024-03-31T03:30:00+02:00 2024-04-01T02:30:00+02:00
	// 2024-10-27T02:30:00+02:00 2024-10-27T02:30:00+01:00
}

// Errors name the field to blame.
func ExampleFieldError() {
	_, err := trigger.Parse([]byte(`{"type": "cron", "hour": "25"}`))
	var fe *trigger.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
		fmt.Println(err)
	}
	// Output:
	// hour
	// hour: "25" is out of range 0-23
}

// Combine triggers: the first Monday of each month.
func ExampleNewAnd() {
	mondays, _ := trigger.NewCron(trigger.CronFields{DayOfWeek: "mon", Hour: "10"}, time.UTC)
	firstWeek, _ := trigger.NewCron(trigger.CronFields{Day: "1-7", Hour: "10"}, time.UTC)
	t, _ := trigger.NewAnd(mondays, firstWeek)
	fires, _ := trigger.Upcoming(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 3)
	for _, f := range fires {
		fmt.Println(f.Format("2006-01-02 Mon 15:04"))
	}
	// Output:
	// 2024-01-01 Mon 10:00
	// 2024-02-05 Mon 10:00
	// 2024-03-04 Mon 10:00
}
