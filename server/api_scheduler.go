package server

import (
	"net/http"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// previewTrigger answers the next fire times of a trigger:
// {"trigger": {...}, "count": 10, "from": "<time>"} → {"trigger", "description", "fires", "done"}.
func (srv *Server) previewTrigger(w http.ResponseWriter, r *http.Request) error {
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := obj.unknown("", "trigger", "count", "from"); err != nil {
		return err
	}
	t, err := readTrigger(obj, srv.s.Location())
	if err != nil {
		return err
	}
	if t == nil {
		return errInvalid("trigger", "is required")
	}
	count := 10
	if n, err := obj.integer("count", "count"); err != nil {
		return err
	} else if n != nil {
		if *n < 1 || *n > 100 {
			return errInvalid("count", "must be from 1 to 100, got %d", *n)
		}
		count = *n
	}
	from := srv.s.Now()
	if s, ok, err := obj.str("from", "from"); err != nil {
		return err
	} else if ok {
		if from, err = trigger.ParseTime(s, t.Location()); err != nil {
			return errInvalid("from", "%v", err)
		}
	}
	fires, done := trigger.Upcoming(trigger.Anchor(t, from), from, count)
	out := make([]string, len(fires))
	for i, f := range fires {
		out[i] = trigger.FormatTime(f.In(t.Location()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"trigger": t, "description": t.Describe(), "fires": out, "done": done})
	return nil
}

// validateTrigger checks a trigger: {"trigger": {...}} → {"valid": true,
// "trigger": canonical, "description"}, or a 400 naming the field.
func (srv *Server) validateTrigger(w http.ResponseWriter, r *http.Request) error {
	obj, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := obj.unknown("", "trigger"); err != nil {
		return err
	}
	t, err := readTrigger(obj, srv.s.Location())
	if err != nil {
		return err
	}
	if t == nil {
		return errInvalid("trigger", "is required")
	}
	writeJSON(w, http.StatusOK, map[string]any{"valid": true, "trigger": t, "description": t.Describe()})
	return nil
}

func (srv *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"tasks": srv.s.Tasks().Names()})
	return nil
}

// stateName is the scheduler's state as the API shows it: "stopped" after
// the compatible API's /shutdown.
func (srv *Server) stateName() string {
	if srv.stopped.Load() {
		return "stopped"
	}
	return srv.s.State().String()
}

func (srv *Server) schedulerState(w http.ResponseWriter, r *http.Request) error {
	d := srv.s.JobDefaults()
	var grace *float64
	if d.MisfireGraceTime != nil {
		g := d.MisfireGraceTime.Seconds()
		grace = &g
	}
	offsets := map[string]float64{}
	for _, name := range srv.s.StoreNames() {
		offsets[name] = srv.s.StoreClockOffset(name).Seconds()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"state":     srv.stateName(),
		"node":      srv.s.NodeID(),
		"version":   srv.opts.Version,
		"timezone":  srv.s.Location().String(),
		"stores":    srv.s.StoreNames(),
		"executors": srv.s.Executors(),
		"tasks":     srv.s.Tasks().Names(),
		"job_defaults": map[string]any{
			"executor": d.Executor, "coalesce": d.Coalesce, "max_instances": d.MaxInstances, "misfire_grace_time": grace,
		},
		"time": trigger.FormatTime(srv.s.Now()),
		// How far each store's clock is ahead of this node's, in seconds,
		// as the scheduler follows it.
		"store_clock_offsets": offsets,
	})
	return nil
}

func (srv *Server) schedulerPause(w http.ResponseWriter, r *http.Request) error {
	srv.s.Pause()
	srv.audit(r, "scheduler.pause", "", nil)
	return srv.schedulerState(w, r)
}

func (srv *Server) schedulerResume(w http.ResponseWriter, r *http.Request) error {
	srv.stopped.Store(false)
	srv.s.Resume()
	srv.audit(r, "scheduler.resume", "", nil)
	return srv.schedulerState(w, r)
}

// nodeForget is how long a node whose lease ended stays in the list.
const nodeForget = 24 * time.Hour

func (srv *Server) listNodes(w http.ResponseWriter, r *http.Request) error {
	nodes, err := srv.s.ListNodes(r.Context(), nodeForget)
	if err != nil {
		return err
	}
	now := time.Now() // judged by this server's clock; the store's may differ a little
	out := make([]nodeJSON, len(nodes))
	for i, n := range nodes {
		out[i] = nodeJSON{Node: n, Live: n.Live(now)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": out, "self": srv.s.NodeID()})
	return nil
}

func (srv *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	if srv.opts.Audit == nil {
		writeJSON(w, http.StatusOK, map[string]any{"entries": []any{}, "next_cursor": "", "kept": false})
		return nil
	}
	q := r.URL.Query()
	p := sundial.AuditListParams{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"from", &p.From}, {"to", &p.To}} {
		if v := q.Get(f.key); v != "" {
			t, err := trigger.ParseTime(v, srv.s.Location())
			if err != nil {
				return errInvalid(f.key, "%v", err)
			}
			*f.t = t
		}
	}
	before, limit, err := pageParams(q, 50)
	if err != nil {
		return err
	}
	p.BeforeSeq, p.Limit = before, limit+1 // one more tells whether there is a next page
	entries, err := srv.opts.Audit.AuditList(r.Context(), p)
	if err != nil {
		return err
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = itoa(entries[len(entries)-1].Seq)
	}
	if entries == nil {
		entries = []*sundial.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries, "next_cursor": next, "kept": true})
	return nil
}
