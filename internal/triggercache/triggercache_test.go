package triggercache

import "testing"

func TestCache(t *testing.T) {
	var c Cache
	a, err := c.Parse(`{"type": "interval", "seconds": 5}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Parse(`{"type": "interval", "seconds": 5}`)
	if err != nil || a != b {
		t.Errorf("second parse = %v, %v; want the cached trigger", b, err)
	}
	if _, err := c.Parse(`{"type": "nope"}`); err == nil {
		t.Error("an invalid trigger parsed")
	}
	for i := range size + 1 { // past the bound the cache starts over
		c.m[string(rune(i))] = a
	}
	if _, err := c.Parse(`{"type": "interval", "seconds": 6}`); err != nil || len(c.m) != 1 {
		t.Errorf("after overflow: %d entries, err %v; want 1", len(c.m), err)
	}
}
