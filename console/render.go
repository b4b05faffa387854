package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// renderer holds one template set per page: the layout, the shared
// partials and the page itself.
type renderer struct {
	pages map[string]*template.Template
}

// templateFuncs are the helpers the templates call.
var templateFuncs = template.FuncMap{
	"zoned":   formatZoned,
	"in":      func(t time.Time, loc *time.Location) time.Time { return t.In(loc) },
	"iso":     func(t time.Time) string { return t.Format(time.RFC3339) },
	"dur":     formatDuration,
	"pretty":  prettyJSON,
	"jobURL":  func(id string) string { return "/jobs/" + url.PathEscape(id) },
	"editURL": func(id string) string { return "/jobs/" + url.PathEscape(id) + "/edit" },
	"runURL":  func(id string) string { return "/runs/" + url.PathEscape(id) },
	"outputURL": func(id string) string {
		return "/api/v1/runs/" + url.PathEscape(id) + "/output"
	},
	"join":     strings.Join,
	"describe": describe,
	"hasTask":  func(tasks []string, t string) bool { return slices.Contains(tasks, t) },
	"units": func() []string {
		out := make([]string, len(intervalUnits))
		for i, u := range intervalUnits {
			out[i] = u.Key
		}
		return out
	},
}

func newRenderer() (*renderer, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// pageData is what every page template gets: the layout's needs and the
// page's own data in P.
type pageData struct {
	Title string
	Nav   string // the active navigation entry
	V     *viewer
	Zone  string // the scheduler's time zone
	Now   time.Time
	P     any
}

// render answers a page. The page is rendered to a buffer first, so a
// template error becomes a clean 500 instead of half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, v *viewer, status int, page, title, nav string, data any) {
	t, ok := c.tmpl.pages[page]
	if !ok {
		c.log.Error("console: no such template", "page", page)
		http.Error(w, "no such page template", http.StatusInternalServerError)
		return
	}
	pd := pageData{Title: title, Nav: nav, V: v, Zone: c.s.Location().String(), Now: c.s.Now().In(c.s.Location()), P: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", pd); err != nil {
		c.log.Error("console: render failed", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "the page could not be rendered; see the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// formatZoned writes a time in its own zone with the zone's name and
// offset: "2025-03-03 09:30:00 CST +08:00". Zero is "—".
func formatZoned(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	abbr, _ := t.Zone()
	if abbr == "" || abbr[0] == '+' || abbr[0] == '-' {
		return t.Format("2006-01-02 15:04:05 -07:00")
	}
	return t.Format("2006-01-02 15:04:05 MST -07:00")
}

// formatDuration writes a duration for people, rounded to what matters.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// prettyJSON indents JSON for reading; what is not JSON is shown as it is.
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// staticHandler serves the embedded stylesheet and script with an ETag of
// their content, so browsers revalidate instead of downloading again.
func staticHandler() http.Handler {
	etags := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags["/"+p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	files := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag, ok := etags[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", tag)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
