package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
)

const nodesUsage = `Usage: sundial nodes [flags]

Lists the scheduler nodes sharing the server's store: those alive and
those whose lease ended in the last day. The node of the server asked is
marked "(this server)". Times are printed as the server gives them.

`

// nodeRow is a node as GET /api/v1/nodes answers it.
type nodeRow struct {
	ID          string `json:"id"`
	Host        string `json:"host"`
	PID         int    `json:"pid"`
	Version     string `json:"version"`
	StartedAt   string `json:"started_at"`
	HeartbeatAt string `json:"heartbeat_at"`
	Live        bool   `json:"live"`
}

func runNodes(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := newClientCmd("nodes", stdin, stdout, stderr)
	if _, err := c.parse(args, nodesUsage+clientExitCodesText, 0, ""); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	var answer struct {
		Nodes []nodeRow `json:"nodes"`
		Self  string    `json:"self"`
	}
	body, err := api.getJSON(ctx, "/nodes", nil, &answer)
	if err != nil {
		return err
	}
	if c.flags.json {
		return c.printRaw(body)
	}
	rows := make([][]string, 0, len(answer.Nodes))
	for _, n := range answer.Nodes {
		state := "expired"
		if n.Live {
			state = "live"
		}
		if n.ID == answer.Self {
			state += " (this server)"
		}
		rows = append(rows, []string{n.ID, n.Host, strconv.Itoa(n.PID), n.Version, n.StartedAt, n.HeartbeatAt, state})
	}
	if err := writeTable(stdout, []string{"ID", "HOST", "PID", "VERSION", "STARTED", "HEARTBEAT", "STATE"}, rows); err != nil {
		return fmt.Errorf("print the nodes: %w", err)
	}
	return nil
}
