package server

import (
	"context"
	"net/http"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// opsRoutes are the health checks (no authentication: they tell nothing
// but up or down) and the metrics.
func (srv *Server) opsRoutes() []route {
	rts := []route{
		{method: "GET", path: "/healthz", api: apiPlain, h: srv.healthz},
		{method: "GET", path: "/readyz", api: apiPlain, h: srv.readyz},
	}
	if srv.opts.Metrics != nil {
		rts = append(rts, route{method: "GET", path: "/metrics", role: RoleViewer, api: apiPlain,
			h: func(w http.ResponseWriter, r *http.Request) error {
				srv.opts.Metrics.ServeHTTP(w, r)
				return nil
			}})
	}
	return rts
}

// healthz says the process is alive and serving.
func (srv *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz says whether this node can do its work: the scheduler runs (or is
// paused on purpose) and the store answers.
func (srv *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	state := srv.s.State()
	problems := map[string]string{}
	if state != sundial.StateRunning && state != sundial.StatePaused {
		problems["scheduler"] = "state is " + state.String()
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, _, err := srv.s.Store().JobNextFireTime(ctx); err != nil {
		problems["store"] = err.Error()
	}
	if srv.opts.Ready != nil {
		if err := srv.opts.Ready(ctx); err != nil {
			problems["ready"] = err.Error()
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "problems": problems})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "state": srv.stateName()})
	return nil
}
