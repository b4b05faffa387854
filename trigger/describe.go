package trigger

// Placeholder descriptions; replaced by the full describer.

// Describe says when the trigger fires.
func (c *CronTrigger) Describe() string { return "cron" }

// Describe says when the trigger fires.
func (c *CrontabTrigger) Describe() string { return "crontab " + c.expr }

// Describe says when the trigger fires.
func (it *IntervalTrigger) Describe() string { return "interval" }

// Describe says when the trigger fires.
func (d *DateTrigger) Describe() string { return "once" }

// Describe says when the trigger fires.
func (c *CalendarIntervalTrigger) Describe() string { return "calendar interval" }

// Describe says when the trigger fires.
func (a *AndTrigger) Describe() string { return "and" }

// Describe says when the trigger fires.
func (o *OrTrigger) Describe() string { return "or" }
