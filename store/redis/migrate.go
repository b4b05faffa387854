package redis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed migrations/*.lua
var migrationFiles embed.FS

// migration is one step of the key layout: migrations/NNNN_name.lua.
type migration struct {
	version int
	name    string
	script  *goredis.Script
}

// migrationHead and migrationTail wrap each migration's body, so that it
// runs at most once, only on the version before it, and records itself in
// the schema hash in the same atomic step.
const (
	migrationHead = `local P, N = ARGV[1], tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', P .. 'schema', 'version') or '0')
if cur >= N then return 0 end
if cur ~= N - 1 then return redis.error_reply('schema version ' .. cur .. ' cannot take migration ' .. N) end
`
	migrationTail = `
local t = redis.call('TIME')
redis.call('HSET', P .. 'schema', 'version', N, 'applied_' .. N, t[1] .. string.format('%06d', tonumber(t[2])))
return 1
`
)

// migrations are the embedded migrations in version order.
var migrations = func() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.lua")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			panic("redis store: migration " + base + " does not start with its version")
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{n, strings.TrimSuffix(base, ".lua"), goredis.NewScript(migrationHead + string(body) + migrationTail)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			panic(fmt.Sprintf("redis store: migration %s out of sequence", m.name))
		}
	}
	return out
}()

// schemaVersion is the version of the key layout this package writes (the
// number of its migrations).
var schemaVersion = len(migrations)

// Migrate applies the embedded migrations the key layout under the prefix
// lacks (sundial migrate). It is idempotent and safe to run from several
// processes at once: they take turns holding a lock key (SET NX with an
// expiry), and each migration checks and records the version in the same
// script. A store written by a newer version of Sundial is an error.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.migrate(ctx)
	return err
}

// lockTTL bounds how long a crashed migrator keeps others waiting.
const lockTTL = 30 * time.Second

// migrate applies the missing migrations and returns how many it applied.
func (s *Store) migrate(ctx context.Context) (int, error) {
	unlock, err := s.lock(ctx, s.key("schema:lock"))
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	var cur int
	err = s.retry(ctx, func() error {
		v, err := s.rdb.HGet(ctx, s.key("schema"), "version").Result()
		if errors.Is(err, goredis.Nil) {
			cur = 0
			return nil
		}
		if err != nil {
			return err
		}
		cur, err = strconv.Atoi(v)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("migrate: read schema version: %w", err)
	}
	if cur > schemaVersion {
		return 0, fmt.Errorf("migrate: prefix %q has schema version %d, newer than this build's %d", s.opts.Prefix, cur, schemaVersion)
	}
	applied := 0
	for _, m := range migrations[cur:] {
		// A migration checks the version itself, so a retry after a lost
		// reply is harmless.
		var n int64
		err := s.retry(ctx, func() error {
			var err error
			n, err = m.script.Run(ctx, s.rdb, nil, s.opts.Prefix, m.version).Int64()
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %s: %w", m.name, err)
		}
		applied += int(n)
	}
	return applied, nil
}

// unlockScript deletes a lock key only while it holds our token.
var unlockScript = goredis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// lock takes the lock key, waiting while another process holds it, and
// returns the function that releases it.
func (s *Store) lock(ctx context.Context, key string) (func(), error) {
	tok := s.token()
	pause := 10 * time.Millisecond
	for {
		var ok bool
		err := s.retry(ctx, func() error {
			var err error
			ok, err = s.rdb.SetNX(ctx, key, tok, lockTTL).Result()
			if err == nil && !ok {
				// Ours already, if an earlier attempt's reply was lost.
				var holder string
				holder, err = s.rdb.Get(ctx, key).Result()
				ok = err == nil && holder == tok
				if errors.Is(err, goredis.Nil) {
					err = nil
				}
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("take %s: %w", key, err)
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := unlockScript.Run(ctx, s.rdb, []string{key}, tok).Err(); err != nil {
					s.log.Warn("redis store: release lock (it expires on its own)", "key", key, "err", err)
				}
			}, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for %s: %w", key, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}
