package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// A listing is what a list command read: the items of one page, or of all
// pages with --all.
type listing struct {
	items []json.RawMessage
	next  string // the cursor of the page after the last one read; "" at the end
	// raw is the answer as sent when one page was read, for --json.
	raw []byte
}

// listQuery describes a paged list of the API: GET path?query answers
// {key: [...], "next_cursor": "..."}, and the next page is asked for with
// cursorParam=next_cursor.
type listQuery struct {
	path        string
	query       url.Values
	key         string
	cursorParam string
}

// list reads one page, or every page when all is set.
func (c *client) list(ctx context.Context, q listQuery, all bool) (*listing, error) {
	out := &listing{}
	query := url.Values{}
	for k, v := range q.query {
		query[k] = v
	}
	for page := 0; ; page++ {
		var m map[string]json.RawMessage
		raw, err := c.getJSON(ctx, q.path, query, &m)
		if err != nil {
			return nil, err
		}
		var items []json.RawMessage
		if err := json.Unmarshal(m[q.key], &items); err != nil {
			return nil, fmt.Errorf("GET %s: the answer has no %q list: %w", q.path, q.key, err)
		}
		var next string
		if v, ok := m["next_cursor"]; ok {
			if err := json.Unmarshal(v, &next); err != nil {
				return nil, fmt.Errorf("GET %s: next_cursor is not a string: %w", q.path, err)
			}
		}
		out.items = append(out.items, items...)
		if page == 0 {
			out.raw = raw
		} else {
			out.raw = nil
		}
		if next != "" && next == query.Get(q.cursorParam) {
			return nil, fmt.Errorf("GET %s: the server answered the same cursor twice", q.path)
		}
		out.next = next
		if !all || next == "" {
			return out, nil
		}
		query.Set(q.cursorParam, next)
	}
}

// json is the listing as the API would answer it in one page: the raw
// answer when one page was read, else the items of all pages under key.
// Like the server, it writes the keys sorted.
func (l *listing) json(key string) ([]byte, error) {
	if l.raw != nil {
		return l.raw, nil
	}
	items := l.items
	if items == nil {
		items = []json.RawMessage{}
	}
	b, err := json.Marshal(map[string]any{key: items, "next_cursor": l.next})
	if err != nil {
		return nil, fmt.Errorf("encode the %s: %w", key, err)
	}
	return append(b, '\n'), nil
}
