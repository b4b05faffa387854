package console

import (
	"net/http"
	"net/url"

	"github.com/sundial-scheduler/sundial"
)

// auditPage is what the audit template shows.
type auditPage struct {
	Actor, Action, Target string
	Entries               []*sundial.AuditEntry
	Kept                  bool // the store keeps an audit log
	OlderURL              string
}

// audit shows the server's audit log, read through the native API so the
// server's role check and paging apply.
func (c *Console) audit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	p := auditPage{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	params := url.Values{"limit": {"100"}}
	for _, k := range []string{"actor", "action", "target", "before"} {
		if s := q.Get(k); s != "" {
			params.Set(k, s)
		}
	}
	var res struct {
		Entries    []*sundial.AuditEntry `json:"entries"`
		NextCursor string                `json:"next_cursor"`
		Kept       bool                  `json:"kept"`
	}
	if _, err := c.apiGet(r.Context(), r, "/api/v1/audit?"+params.Encode(), &res); err != nil {
		return err
	}
	p.Entries, p.Kept = res.Entries, res.Kept
	for _, e := range p.Entries {
		e.At = e.At.In(c.s.Location())
	}
	if res.NextCursor != "" {
		params.Del("limit")
		params.Set("before", res.NextCursor)
		p.OlderURL = "/audit?" + params.Encode()
	}
	c.render(w, r, v, http.StatusOK, "audit.html", "Audit log", "audit", p)
	return nil
}
