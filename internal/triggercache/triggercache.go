// Package triggercache parses stored triggers once: a claim decodes every
// job it claims, and parsing the trigger's JSON is most of that work.
// Triggers are immutable and safe for concurrent use, so jobs with the same
// definition share one.
package triggercache

import (
	"sync"

	"github.com/sundial-scheduler/sundial/trigger"
)

// size bounds the parsed triggers kept; past it the cache starts over.
const size = 8192

// Cache maps a trigger's JSON text to the parsed trigger. The zero value
// is ready to use.
type Cache struct {
	mu sync.Mutex
	m  map[string]trigger.Trigger
}

// Parse returns the trigger text defines, parsing it only when it has not
// been seen lately.
func (c *Cache) Parse(text string) (trigger.Trigger, error) {
	c.mu.Lock()
	t, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := trigger.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= size {
		c.m = make(map[string]trigger.Trigger, 64)
	}
	c.m[text] = t
	c.mu.Unlock()
	return t, nil
}
