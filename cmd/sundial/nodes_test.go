package main

import (
	"strings"
	"testing"
)

func TestNodes(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	r := a.mustCLI("", "nodes")
	rows := lines(r.stdout)
	if len(rows) != 2 {
		t.Fatalf("nodes: want a header and this server's node:\n%s", r.stdout)
	}
	if h := strings.Fields(rows[0]); !equalStrings(h, []string{"ID", "HOST", "PID", "VERSION", "STARTED", "HEARTBEAT", "STATE"}) {
		t.Errorf("header = %q", rows[0])
	}
	if f := strings.Fields(rows[1]); f[0] != a.s.NodeID() || !strings.HasSuffix(rows[1], "live (this server)") {
		t.Errorf("row = %q, want node %s, live, this server", rows[1], a.s.NodeID())
	}
	if r := a.cli("", "nodes", "extra"); exitStatus(r.err) != exitUsage {
		t.Errorf("nodes extra: err %v, want a usage error", r.err)
	}
	if r := runCmd(t, "", "help", "nodes"); r.err != nil || !strings.Contains(r.stdout, "Exit status:") {
		t.Errorf("help nodes: err %v, stdout:\n%s", r.err, r.stdout)
	}
}
