// Package sqlq holds what the SQL stores share: the run-history and audit
// filters and
// the loading of embedded migrations. Only the store packages use it.
package sqlq

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// RunWhere returns the conditions (with ? placeholders) and their
// arguments that select the runs p names, Limit aside. t encodes a time
// the way the database stores it.
func RunWhere(p sundial.RunListParams, t func(time.Time) any) (conds []string, args []any) {
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if p.JobID != "" {
		add("job_id = ?", p.JobID)
	}
	if p.Status != "" {
		add("status = ?", string(p.Status))
	}
	if p.Node != "" {
		add("node = ?", p.Node)
	}
	if !p.From.IsZero() {
		add("scheduled_at >= ?", t(p.From))
	}
	if !p.To.IsZero() {
		add("scheduled_at < ?", t(p.To))
	}
	if p.BeforeSeq > 0 {
		add("seq < ?", p.BeforeSeq)
	}
	return conds, args
}

// RunListQuery is the query of RunList: columns from sundial_runs under
// the filter, newest first, with a LIMIT placeholder when p has a limit
// (its argument appended).
func RunListQuery(columns string, p sundial.RunListParams, t func(time.Time) any) (string, []any) {
	conds, args := RunWhere(p, t)
	return listQuery("sundial_runs", columns, conds, args, p.Limit)
}

// AuditListQuery is the query of AuditList: columns from sundial_audit
// under the filters of p, newest first, with a LIMIT placeholder when p
// has a limit. t encodes a time and s a string the way the database
// stores them (nil: as they are).
func AuditListQuery(columns string, p sundial.AuditListParams, t func(time.Time) any, s func(string) any) (string, []any) {
	if s == nil {
		s = func(v string) any { return v }
	}
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if p.Actor != "" {
		add("actor = ?", s(p.Actor))
	}
	if p.Action != "" {
		add("action = ?", s(p.Action))
	}
	if p.Target != "" {
		add("target = ?", s(p.Target))
	}
	if !p.From.IsZero() {
		add("at >= ?", t(p.From))
	}
	if !p.To.IsZero() {
		add("at < ?", t(p.To))
	}
	if p.BeforeSeq > 0 {
		add("seq < ?", p.BeforeSeq)
	}
	return listQuery("sundial_audit", columns, conds, args, p.Limit)
}

// listQuery selects columns from table under conds, highest seq first.
func listQuery(table, columns string, conds []string, args []any, limit int) (string, []any) {
	q := "SELECT " + columns + " FROM " + table
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY seq DESC"
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	return q, args
}

// Dollar numbers the ? placeholders of a query built here as $1, $2, …
// (PostgreSQL's form). The queries of this package have no ? elsewhere.
func Dollar(q string) string {
	var b strings.Builder
	n := 0
	for {
		i := strings.IndexByte(q, '?')
		if i < 0 {
			return b.String() + q
		}
		n++
		b.WriteString(q[:i] + "$" + strconv.Itoa(n))
		q = q[i+1:]
	}
}

// Migration is one embedded migration file, NNNN_name.ext.
type Migration struct {
	Version int
	Name    string // the file name without its extension
	Body    string
}

// Migrations reads the files of fsys that match glob, ordered by their
// version number, refusing names without one and versions used twice.
func Migrations(fsys fs.FS, glob string) ([]Migration, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with a positive version number and _", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(base, path.Ext(base)), Body: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].Name, ms[i].Name)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations match %s", glob)
	}
	return ms, nil
}
