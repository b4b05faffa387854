package redis

import (
	"embed"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script loads lua/<name>.lua behind the shared prelude.
func script(name string) *goredis.Script {
	prelude, err := luaFiles.ReadFile("lua/prelude.lua")
	if err != nil {
		panic(err)
	}
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return goredis.NewScript(string(prelude) + "\n" + string(body))
}

// The store's scripts; lua/<name>.lua documents each one's arguments and
// reply.
var (
	scJobAdd       = script("job_add")
	scJobUpdate    = script("job_update")
	scJobRemove    = script("job_remove")
	scJobRemoveAll = script("job_remove_all")
	scJobPark      = script("job_park")
	scJobNext      = script("job_next")
	scClaimRead    = script("claim_read")
	scClaimReread  = script("claim_reread")
	scClaimApply   = script("claim_apply")
	scRunInsert    = script("run_insert")
	scRunUpdate    = script("run_update")
	scRunReap      = script("run_reap")
	scRunRelease   = script("run_release")
	scRunPruneAge  = script("run_prune_age")
	scRunPruneKeep = script("run_prune_keep")
	scNodeHB       = script("node_heartbeat")
	scNodeLeave    = script("node_leave")
	scNodeList     = script("node_list")
	scAuditAppend  = script("audit_append")
	scAuditPrune   = script("audit_prune")
)

// decodeReply decodes the JSON reply of a writing script: a non-empty list
// of strings whose first element is a status.
func decodeReply(v any) ([]string, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("unexpected script reply %T", v)
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil || len(out) == 0 {
		return nil, fmt.Errorf("unexpected script reply %q", s)
	}
	return out, nil
}

// strs converts a script's array reply of strings (and integers).
func strs(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("unexpected script reply %T", v)
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		switch e := e.(type) {
		case string:
			out[i] = e
		case int64:
			out[i] = fmt.Sprint(e)
		default:
			return nil, fmt.Errorf("unexpected element %T in script reply", e)
		}
	}
	return out, nil
}

// fieldMap converts an HGETALL reply made inside a script (a flat list of
// fields and values).
func fieldMap(v any) (map[string]string, error) {
	flat, err := strs(v)
	if err != nil {
		return nil, err
	}
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("odd HGETALL reply of %d elements", len(flat))
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		m[flat[i]] = flat[i+1]
	}
	return m, nil
}
