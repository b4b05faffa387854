// Package redis is a sundial.Store kept in Redis (6.2 or later): a hash per
// job and per run, a sorted set of next fire times, and Lua scripts that
// make every claim and state change one atomic step. Any number of
// schedulers (processes or hosts) may share one Redis: each fire is claimed
// once, max_instances holds across all of them, and leases are judged by
// the Redis server's clock (TIME). SCHEMA.md in this directory documents
// the key layout, which other programs may write by its rules. The store
// also keeps the server's audit log (Store implements sundial.AuditLog).
//
// Claims are optimistic. JobClaimDue reads a batch of due jobs with their
// unfinished-run counts in one script, runs the scheduler's Decide in Go,
// then applies the decisions in a second script that checks each job is
// unchanged (version, next fire time, paused flag, unfinished runs) and
// the node's lease is live; a job that changed in between is read again
// and decided again, a bounded number of times.
//
// Writes are safe to retry after a lost reply (a dropped connection): a
// script takes an idempotency token and answers a retry with its first
// reply, or (run updates) accepts a repeat of what it already did. Watch
// combines a pub/sub channel with
// a poll of a change counter, and reconnects on its own.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial"
)

// ErrNoSchema is returned by JobClaimDue and JobAdd when the store's schema
// key is missing: the server lost its data (a restart without persistence,
// FLUSHALL) or the prefix was never migrated. Run Migrate (sundial migrate)
// to start over with an empty store; the scheduler does not do it on its
// own, so a wiped Redis is noticed instead of running with no jobs.
var ErrNoSchema = errors.New("redis store: schema key missing (not migrated, or the server lost its data)")

// Options configure a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key the store uses; default "sundial:". Several
	// stores (or tests) share one Redis under different prefixes. For Redis
	// Cluster, put a hash tag in it ("{sundial}:") so every key lives in one
	// slot.
	Prefix string
	// PollInterval is how often Watch reads the change counter, which
	// catches changes whose pub/sub message was lost (a reconnect) and
	// writers that bump the counter without publishing; default 1s.
	PollInterval time.Duration
	// Logger receives warnings (undecodable jobs, lost connections);
	// default slog.Default().
	Logger *slog.Logger
}

// Store is a sundial.Store and sundial.Watcher kept in Redis. It is safe
// for concurrent use.
type Store struct {
	rdb  *goredis.Client
	opts Options
	log  *slog.Logger
	id   string        // random, names this instance's idempotency tokens
	reqs atomic.Uint64 // idempotency tokens handed out

	ctx    context.Context // cancelled by Close; ends watchers
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup

	// hookSubscribed, when set (by tests), is called by a watcher each
	// time it listens on a new connection, with that connection's name.
	hookSubscribed func(name string)
}

var (
	_ sundial.Store   = (*Store)(nil)
	_ sundial.Watcher = (*Store)(nil)
)

// Open connects to the Redis server named by dsn, a redis:// or rediss://
// URL (redis://user:password@host:port/db?dial_timeout=3s, as
// github.com/redis/go-redis/v9 ParseURL reads it), and applies the
// migrations the prefix lacks. The client does not retry commands on its
// own (max_retries is ignored): the store retries transient failures
// itself, with idempotency tokens that make the retries safe. The
// deadline of a call's context bounds its commands' reads and writes on
// the socket (go-redis ContextTimeoutEnabled, set whatever the URL says),
// so a connection that hangs fails the call at its deadline rather than
// after the client's read timeout.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	o, err := goredis.ParseURL(dsn)
	if err != nil {
		return nil, fmt.Errorf("open redis store: %w", err)
	}
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	if opts.Prefix == "" {
		opts.Prefix = "sundial:"
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("open redis store: %w", err)
	}
	id := hex.EncodeToString(b[:])
	if o.ClientName == "" {
		o.ClientName = "sundial-" + id // visible in CLIENT LIST
	}
	s := &Store{rdb: goredis.NewClient(o), opts: opts, log: opts.Logger, id: id}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.checkVersion(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open redis store: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open redis store: %w", err)
	}
	return s, nil
}

// checkVersion refuses servers older than 6.2, whose ZRANGE lacks BYSCORE
// and REV (the scripts also rely on effects replication, the default since
// 5.0). Servers that do not report a version are let through.
func (s *Store) checkVersion(ctx context.Context) error {
	var info string
	err := s.retry(ctx, func() error {
		var err error
		info, err = s.rdb.Info(ctx, "server").Result()
		return err
	})
	if err != nil {
		return err
	}
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		parts := strings.SplitN(v, ".", 3)
		if len(parts) < 2 {
			return nil
		}
		major, err1 := strconv.Atoi(parts[0])
		minor, err2 := strconv.Atoi(parts[1])
		if err1 == nil && err2 == nil && (major < 6 || major == 6 && minor < 2) {
			return fmt.Errorf("redis %s is too old: the store needs 6.2 or later", v)
		}
		return nil
	}
	return nil
}

// Close stops the store's watchers and closes its connections. It is safe
// to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.rdb.Close()
}

// key returns the full name of one of the store's keys.
func (s *Store) key(parts ...string) string {
	k := s.opts.Prefix
	for _, p := range parts {
		k += p
	}
	return k
}

// token returns a new idempotency token for one write (kept by the script
// for a minute, so retries of the same call must reuse it).
func (s *Store) token() string {
	return s.id + "." + strconv.FormatUint(s.reqs.Add(1), 36)
}

// Retries of transient failures: attempts in all, and the first pause
// (quadrupled after each failure).
const (
	retryAttempts = 5
	retryPause    = 25 * time.Millisecond
)

// retry calls fn until it succeeds, fails for good, or retryAttempts
// transient failures (lost connections, a loading or busy server) have
// passed. Writes pass the same idempotency token to every attempt.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	pause := retryPause
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == retryAttempts || !transient(err) || ctx.Err() != nil {
			return err
		}
		s.log.Debug("redis store: retrying after a transient error", "attempt", attempt, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 4
	}
}

// transient reports whether err may pass if the call is repeated.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, goredis.ErrClosed) {
		return false
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY"} {
			if goredis.HasErrorPrefix(err, p) {
				return true
			}
		}
		return false
	}
	var nerr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, goredis.ErrPoolTimeout) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &nerr)
}

// run executes a script with the prefix and token in front of args,
// retrying transient failures. Scripts that write get a token; reads and
// idempotent writes pass "".
func (s *Store) run(ctx context.Context, sc *goredis.Script, token string, args ...any) (any, error) {
	full := make([]any, 0, len(args)+2)
	full = append(full, s.opts.Prefix, token)
	full = append(full, args...)
	var res any
	err := s.retry(ctx, func() error {
		v, err := sc.Run(ctx, s.rdb, nil, full...).Result()
		res = v
		return err
	})
	return res, err
}

// write runs a script that writes, under a new idempotency token, and
// decodes its JSON reply: a flat list of strings whose first is a status.
func (s *Store) write(ctx context.Context, sc *goredis.Script, args ...any) ([]string, error) {
	v, err := s.run(ctx, sc, s.token(), args...)
	if err != nil {
		return nil, err
	}
	return decodeReply(v)
}
