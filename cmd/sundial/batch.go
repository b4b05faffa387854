package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

const (
	// maxBatchLine bounds one request line of "sundial next --batch".
	maxBatchLine = 4 << 20
	// defaultBatchCount is the number of fire times answered when a request
	// gives no count: the length of the conformance vectors.
	defaultBatchCount = 12
	// maxCount bounds the fire times one request or one "sundial next" asks
	// for, so that a typo cannot exhaust memory.
	maxCount = 100_000
)

// batchRequest is one input line of "sundial next --batch".
type batchRequest struct {
	ID      json.RawMessage `json:"id"`
	Trigger json.RawMessage `json:"trigger"`
	Start   *string         `json:"start"`
	Count   int             `json:"count"`
}

// batchFires answers a request whose trigger is valid.
type batchFires struct {
	ID    json.RawMessage `json:"id"`
	Fires []string        `json:"fires"`
	Done  bool            `json:"done"`
}

// batchError answers a request that cannot be answered with fire times.
// Field names the request key, or the trigger key, to blame.
type batchError struct {
	ID    json.RawMessage `json:"id"`
	Error string          `json:"error"`
	Field string          `json:"field"`
}

// runBatch answers JSON-lines requests from in, one output line per non-blank
// input line, in order, flushed as soon as it is written so that a caller can
// drive it interactively. A bad request gets an error line and processing
// continues; only failures to read or write stop it.
func runBatch(ctx context.Context, in io.Reader, out io.Writer, answer func(line []byte) any) error {
	if in == nil {
		in = bytes.NewReader(nil)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxBatchLine)
	bw := bufio.NewWriter(out)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := enc.Encode(answer(line)); err != nil {
			return fmt.Errorf("write answer: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write answer: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read requests: %w", err)
	}
	return nil
}

// answerNext computes the reply to one "sundial next --batch" request line.
func answerNext(line []byte) any {
	var req batchRequest
	if err := json.Unmarshal(line, &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return newBatchError(req.ID, te.Field, fmt.Errorf("%s: want a JSON %s, not %s", te.Field, wantType(te.Field), te.Value))
		}
		return newBatchError(req.ID, "line", fmt.Errorf("not a JSON object: %w", err))
	}
	count := req.Count
	switch {
	case count == 0:
		count = defaultBatchCount
	case count < 0:
		return newBatchError(req.ID, "count", fmt.Errorf("count: %d is negative", count))
	case count > maxCount:
		return newBatchError(req.ID, "count", fmt.Errorf("count: %d is more than %d", count, maxCount))
	}
	if req.Start == nil {
		return newBatchError(req.ID, "start", errors.New("start: missing"))
	}
	start, err := time.Parse(time.RFC3339, *req.Start)
	if err != nil {
		return newBatchError(req.ID, "start", fmt.Errorf("start: %w", err))
	}
	if len(req.Trigger) == 0 || bytes.Equal(req.Trigger, []byte("null")) {
		return newBatchError(req.ID, "trigger", errors.New("trigger: missing"))
	}
	trig, err := trigger.ParseIn(req.Trigger, time.UTC)
	if err != nil {
		return newBatchError(req.ID, triggerField(err), err)
	}
	fires, done := trigger.Upcoming(trig, start, count)
	res := batchFires{ID: orNull(req.ID), Fires: make([]string, len(fires)), Done: done}
	for i, t := range fires {
		res.Fires[i] = trigger.FormatTime(t)
	}
	return res
}

func newBatchError(id json.RawMessage, field string, err error) batchError {
	return batchError{ID: orNull(id), Error: err.Error(), Field: field}
}

// orNull echoes a request's id as given, or null when it has none.
func orNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

// wantType names the JSON type a request key takes, for error messages.
func wantType(field string) string {
	switch field {
	case "count":
		return "integer"
	case "start":
		return "string"
	default:
		return "value"
	}
}

// triggerField names the trigger key an error from trigger.Parse blames, or
// "trigger" when it blames none.
func triggerField(err error) string {
	var fe *trigger.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return "trigger"
}
