package console

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// formPage is what the job form template shows: the field values as
// strings, ready for the inputs.
type formPage struct {
	Edit  bool
	ID    string
	ETag  string
	Tasks []string

	Name, Task, Args, Kwargs, Description, Tags string

	TriggerType string            // cron, crontab, interval, date, calendarinterval or json
	T           map[string]string // trigger keys by name, for the builder
	TriggerJSON string            // the raw trigger, for and/or
	Timezone    string
	Every, Unit string // an interval as one number and unit
	DefaultZone string

	Misfire, MaxInstances, Timeout                              string
	Coalesce, Paused                                            bool
	RetryAttempts, RetryBackoff, RetryMaxBackoff, RetryMultiply string

	Builders []triggerBuilder
}

// triggerBuilder is one trigger type's part of the form.
type triggerBuilder struct {
	Type, Label string
	Fields      []builderField
}

// builderField is one input of a trigger builder; Key is the trigger's
// JSON key, which is also what the API names in its errors.
type builderField struct {
	Key, Label, Hint, Placeholder string
	Kind                          string // text, number, dialect, every
}

// builders lists the inputs of each trigger type, in the order of the
// trigger's JSON.
var builders = []triggerBuilder{
	{Type: "cron", Label: "Cron fields", Fields: []builderField{
		{Key: "year", Label: "Year", Placeholder: "*"},
		{Key: "month", Label: "Month", Placeholder: "*", Hint: "1-12 or jan-dec"},
		{Key: "day", Label: "Day of month", Placeholder: "*", Hint: "1-31, last, 1st mon"},
		{Key: "week", Label: "ISO week", Placeholder: "*"},
		{Key: "day_of_week", Label: "Day of week", Placeholder: "*", Hint: "mon-fri; 0 is Monday"},
		{Key: "hour", Label: "Hour", Placeholder: "*", Hint: "0-23, */2, 9-17"},
		{Key: "minute", Label: "Minute", Placeholder: "0", Hint: "0-59"},
		{Key: "second", Label: "Second", Placeholder: "0", Hint: "0-59"},
		{Key: "start_date", Label: "Start", Placeholder: "2025-01-01 00:00:00", Hint: "wall time in the zone, or with an offset"},
		{Key: "end_date", Label: "End", Placeholder: "none"},
		{Key: "jitter", Label: "Jitter (seconds)", Kind: "number", Placeholder: "0"},
	}},
	{Type: "crontab", Label: "Crontab expression", Fields: []builderField{
		{Key: "expr", Label: "Expression", Placeholder: "*/5 9-17 * * mon-fri", Hint: "minute hour day month weekday; 0 and 7 are Sunday"},
		{Key: "dialect", Label: "Dialect", Kind: "dialect"},
		{Key: "jitter", Label: "Jitter (seconds)", Kind: "number", Placeholder: "0"},
	}},
	{Type: "interval", Label: "Interval", Fields: []builderField{
		{Key: "every", Label: "Every", Kind: "every"},
		{Key: "start_date", Label: "Start", Placeholder: "now + one period", Hint: "wall time in the zone, or with an offset"},
		{Key: "end_date", Label: "End", Placeholder: "none"},
		{Key: "jitter", Label: "Jitter (seconds)", Kind: "number", Placeholder: "0"},
	}},
	{Type: "date", Label: "Once, at a date", Fields: []builderField{
		{Key: "run_date", Label: "Run at", Placeholder: "2025-06-01 12:00:00", Hint: "wall time in the zone, or with an offset"},
	}},
	{Type: "calendarinterval", Label: "Calendar interval", Fields: []builderField{
		{Key: "years", Label: "Years", Kind: "number", Placeholder: "0"},
		{Key: "months", Label: "Months", Kind: "number", Placeholder: "0"},
		{Key: "weeks", Label: "Weeks", Kind: "number", Placeholder: "0"},
		{Key: "days", Label: "Days", Kind: "number", Placeholder: "0"},
		{Key: "hour", Label: "At hour", Kind: "number", Placeholder: "0"},
		{Key: "minute", Label: "At minute", Kind: "number", Placeholder: "0"},
		{Key: "second", Label: "At second", Kind: "number", Placeholder: "0"},
		{Key: "start_date", Label: "Start date", Placeholder: "today", Hint: "a date such as 2025-01-31"},
		{Key: "end_date", Label: "End date", Placeholder: "none"},
	}},
}

// intervalUnits are the units of the interval builder, largest first.
var intervalUnits = []struct {
	Key  string
	Secs float64
}{{"weeks", 604800}, {"days", 86400}, {"hours", 3600}, {"minutes", 60}, {"seconds", 1}}

func (c *Console) newJob(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d := c.s.JobDefaults()
	p := formPage{Tasks: c.s.Tasks().Names(), Args: "[]", Kwargs: "{}", TriggerType: "cron",
		T: map[string]string{"minute": "0"}, Every: "5", Unit: "minutes",
		Coalesce: d.Coalesce, MaxInstances: strconv.Itoa(max(d.MaxInstances, 1)), Timeout: "0", RetryAttempts: "0"}
	if d.MisfireGraceTime != nil {
		p.Misfire = num(d.MisfireGraceTime.Seconds())
	}
	if t := r.URL.Query().Get("task"); t != "" {
		p.Task = t
	}
	c.renderForm(w, r, v, p)
	return nil
}

// apiJob is the native API's job, as the form needs it.
type apiJob struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Task             string          `json:"task"`
	Args             json.RawMessage `json:"args"`
	Kwargs           json.RawMessage `json:"kwargs"`
	Trigger          json.RawMessage `json:"trigger"`
	Paused           bool            `json:"paused"`
	MisfireGraceTime *float64        `json:"misfire_grace_time"`
	Coalesce         bool            `json:"coalesce"`
	MaxInstances     int             `json:"max_instances"`
	Timeout          float64         `json:"timeout"`
	Retry            struct {
		Attempts   int     `json:"attempts"`
		Backoff    float64 `json:"backoff"`
		MaxBackoff float64 `json:"max_backoff"`
		Multiplier float64 `json:"multiplier"`
	} `json:"retry"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	ETag        string   `json:"etag"`
}

func (c *Console) editJob(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var j apiJob
	if _, err := c.apiGet(r.Context(), r, "/api/v1/jobs/"+url.PathEscape(r.PathValue("id")), &j); err != nil {
		return err
	}
	p := formPage{Edit: true, ID: j.ID, ETag: j.ETag, Tasks: c.s.Tasks().Names(),
		Name: j.Name, Task: j.Task, Args: prettyJSON(j.Args), Kwargs: prettyJSON(j.Kwargs),
		Description: j.Description, Tags: strings.Join(j.Tags, ", "),
		Coalesce: j.Coalesce, MaxInstances: strconv.Itoa(j.MaxInstances), Timeout: num(j.Timeout),
		RetryAttempts: strconv.Itoa(j.Retry.Attempts), Paused: j.Paused, Every: "5", Unit: "minutes"}
	if j.MisfireGraceTime != nil {
		p.Misfire = num(*j.MisfireGraceTime)
	}
	if j.Retry.Attempts > 0 {
		p.RetryBackoff, p.RetryMaxBackoff, p.RetryMultiply = num(j.Retry.Backoff), num(j.Retry.MaxBackoff), num(j.Retry.Multiplier)
	}
	fillTrigger(&p, j.Trigger)
	c.renderForm(w, r, v, p)
	return nil
}

// fillTrigger puts a trigger's JSON into the builder's fields; and/or go
// to the raw JSON editor.
func fillTrigger(p *formPage, raw json.RawMessage) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	var typ string
	_ = json.Unmarshal(m["type"], &typ)
	p.T = map[string]string{}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		p.T[k] = s
	}
	p.Timezone = p.T["timezone"]
	p.TriggerType = typ
	switch typ {
	case "cron", "crontab", "date", "calendarinterval":
	case "interval":
		var total float64
		for _, u := range intervalUnits {
			if n, err := strconv.ParseFloat(p.T[u.Key], 64); err == nil {
				total += n * u.Secs
			}
		}
		p.Every, p.Unit = num(total), "seconds"
		for _, u := range intervalUnits {
			if n := total / u.Secs; total > 0 && n == math.Trunc(n) {
				p.Every, p.Unit = num(n), u.Key
				break
			}
		}
	default:
		p.TriggerType = "json"
		p.TriggerJSON = prettyJSON(raw)
	}
}

func (c *Console) renderForm(w http.ResponseWriter, r *http.Request, v *viewer, p formPage) {
	p.Builders = builders
	p.DefaultZone = c.s.Location().String()
	if p.TriggerJSON == "" {
		p.TriggerJSON = `{"type": "or", "triggers": [{"type": "cron", "hour": "9"}, {"type": "cron", "hour": "17", "minute": "30"}]}`
	}
	title := "New job"
	if p.Edit {
		title = "Edit " + p.Name
	}
	c.render(w, r, v, http.StatusOK, "form.html", title, "jobs", p)
}

// num writes a number as the API does: no trailing zeros.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
