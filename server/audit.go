package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// audit records an accepted change: in the store's audit log when it keeps
// one, and always in the server's log.
func (srv *Server) audit(r *http.Request, action, target string, detail any) {
	id := identity(r)
	e := &sundial.AuditEntry{
		At: srv.s.Now(), Actor: id.Name, Role: id.Role.String(), Remote: clientIP(r),
		Action: action, Target: target,
	}
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil && string(b) != "null" {
			e.Detail = b
		}
	}
	srv.log.Info("audit", "action", action, "target", target, "actor", e.Actor, "role", e.Role, "remote", e.Remote)
	if srv.opts.Audit == nil {
		return
	}
	// The change is made: recording it must not hang on a slow request
	// context, nor be lost when the client goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if err := srv.opts.Audit.AuditAppend(ctx, e); err != nil {
		srv.log.Error("audit log append failed", "action", action, "target", target, "err", err)
	}
}
