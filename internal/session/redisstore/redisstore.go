// Package redisstore keeps sessions and rate-limit buckets in Redis, so that
// several livegate instances share them and sessions survive a restart.
//
// Keys, under a prefix (default "livegate:"):
//
//	{prefix}session:{id}     the session as JSON (a string), without its biometric values
//	{prefix}biometric:{id}   its sealed reference embedding, if it keeps one (a string)
//	{prefix}audit:{id}       its audit trail, a list of JSON entries, oldest first,
//	                         a hash chain (see session.ChainAudit)
//	{prefix}ratelimit:{key}  a token bucket, a hash (see RateLimiter)
//
// Every key has a TTL. A session's keys live until KeepUntil(retention): the
// retention after the session expires, or after it ends if it ends sooner.
// Each write sets the TTL afresh, so a session that ends early is then kept
// for the retention after its end. The biometric key has its own, shorter
// TTL: it lives until the session's BiometricUntil (its end plus its own
// biometric retention), so Redis removes the embedding on time even if no
// one reads the session again. The first read after that notices the value
// gone, clears the session's mark of it and appends a "data_expired" audit
// entry dated at BiometricUntil.
//
// Time comes from an injected clock (WithClock). Redis still counts TTLs in
// its own real time, so the store also checks retention against its clock on
// every read: a session past KeepUntil is not found even while its key
// lingers.
//
// Redis Cluster: Update and AppendAudit touch a session's two keys at once,
// so both must hash to one slot. Give the store a prefix with a hash tag
// (for example "{livegate}:") to use it with a ClusterClient.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// Defaults of the options.
const (
	DefaultPrefix = "livegate:"
	// DefaultMaxTries bounds how often Update retries when another writer
	// changed the session between its read and its write.
	DefaultMaxTries = 100
)

// Option configures a Store or a RateLimiter. Options that do not apply to
// the value being built are ignored.
type Option func(*config)

type config struct {
	prefix    string
	now       func() time.Time
	retention time.Duration
	maxTries  int
}

func newConfig(opts []Option) config {
	c := config{
		prefix:    DefaultPrefix,
		now:       time.Now,
		retention: session.DefaultRetention,
		maxTries:  DefaultMaxTries,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithPrefix sets the prefix of every key (default DefaultPrefix). Stores and
// limiters that share a prefix share their data.
func WithPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithClock sets the clock used for expiry, retention, TTLs and rate limits
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRetention sets how long a session is kept after it has expired or
// ended (default session.DefaultRetention).
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.retention = d
		}
	}
}

// WithMaxTries sets how many times Update tries before giving up under
// contention (default DefaultMaxTries).
func WithMaxTries(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxTries = n
		}
	}
}

// Store is a session.Store over Redis. It is safe for concurrent use, and
// any number of Stores (in one process or many) may share one Redis.
type Store struct {
	client    redis.UniversalClient
	ownClient bool
	prefix    string
	now       func() time.Time
	retention time.Duration
	maxTries  int
}

var _ session.Store = (*Store)(nil)

// New returns a Store over client. The caller keeps ownership of client:
// Store.Close does not close it, because a client is often shared (with a
// RateLimiter, with another Store) and closing it under them would break
// them. Use Open for a store that owns its client.
func New(client redis.UniversalClient, opts ...Option) *Store {
	c := newConfig(opts)
	return &Store{
		client:    client,
		prefix:    c.prefix,
		now:       c.now,
		retention: c.retention,
		maxTries:  c.maxTries,
	}
}

// Open connects to the Redis at redisURL (redis://[user:password@]host:port/db
// or rediss:// for TLS) and returns a Store that owns the client: Close
// closes it. Open does not dial; call Ping to check the connection.
func Open(redisURL string, opts ...Option) (*Store, error) {
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		// A *url.Error quotes the URL, which may hold a password: keep only
		// its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisstore: bad Redis URL: %w", err)
	}
	st := New(redis.NewClient(o), opts...)
	st.ownClient = true
	return st, nil
}

func (st *Store) sessionKey(id string) string   { return st.prefix + "session:" + id }
func (st *Store) auditKey(id string) string     { return st.prefix + "audit:" + id }
func (st *Store) biometricKey(id string) string { return st.prefix + "biometric:" + id }

// record is a session as the session key holds it: its sealed reference
// embedding lives in the biometric key, and Biometric marks that it does, so
// that a read finding that key gone knows its retention ran out.
type record struct {
	*session.Session
	Biometric bool `json:"biometric,omitempty"`
}

// encode splits s into the session key's JSON and the biometric key's value
// (nil when s keeps none).
func encode(s *session.Session) (data, bio []byte, err error) {
	c := s.Clone()
	if c.HasBiometrics() {
		bio, c.Reference.Sealed = c.Reference.Sealed, nil
	}
	data, err = json.Marshal(record{Session: c, Biometric: bio != nil})
	return data, bio, err
}

// biometricTTL is how long Redis should keep s's biometric key, seen at now.
func biometricTTL(s *session.Session, now time.Time) time.Duration {
	return max(s.BiometricUntil().Sub(now), time.Millisecond)
}

// gone reports whether s is past its retention at now.
func (st *Store) gone(s *session.Session, now time.Time) bool {
	return !now.Before(s.KeepUntil(st.retention))
}

// ttl is how long Redis should keep s's keys, seen at now: never less than a
// second, so that a key is never written without an expiry.
func (st *Store) ttl(s *session.Session, now time.Time) time.Duration {
	return max(s.KeepUntil(st.retention).Sub(now), time.Second)
}

// Create stores s under its id with SET NX. It returns session.ErrExists for
// a taken id.
func (st *Store) Create(ctx context.Context, s *session.Session) error {
	if s == nil || s.ID == "" {
		return session.Errorf(session.EInvalid, "redisstore: create: session has no id")
	}
	data, bio, err := encode(s)
	if err != nil {
		return fmt.Errorf("redisstore: create %s: encode: %w", s.ID, err)
	}
	now := st.now()
	n, err := create.Run(ctx, st.client, []string{st.sessionKey(s.ID), st.biometricKey(s.ID)},
		data, st.ttl(s, now).Milliseconds(), bio, biometricTTL(s, now).Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: create %s: %w", s.ID, unavailable(err))
	}
	if n == 0 {
		return fmt.Errorf("redisstore: create %s: %w", s.ID, session.ErrExists)
	}
	return nil
}

// create stores a new session (ARGV[1], TTL ARGV[2] ms) at KEYS[1] unless
// the key is taken and, in the same step, its biometric value (ARGV[3], TTL
// ARGV[4] ms) at KEYS[2] when there is one: no reader ever sees a session
// marked as keeping a value that is not there yet. It returns 1, or 0 for a
// taken id.
var create = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 0
end
if ARGV[3] ~= '' then
	redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
return 1
`)

// load decodes a stored session and checks its retention. op names the
// operation for error messages.
func (st *Store) load(op, id string, data []byte, err error, now time.Time) (*session.Session, error) {
	s, _, err := st.loadWith(op, id, data, err, nil, now)
	return s, err
}

// loadWith is load with the session's biometric value, bio (nil when its key
// is gone). It puts the value back in the session unless its retention has
// run out, and then returns what ran out: a session marked as keeping a
// value whose key Redis has expired, or whose BiometricUntil the store's
// clock has reached, comes back without it.
func (st *Store) loadWith(op, id string, data []byte, err error, bio []byte, now time.Time) (*session.Session, []string, error) {
	if errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("redisstore: %s %s: %w", op, id, session.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("redisstore: %s %s: %w", op, id, unavailable(err))
	}
	rec := record{Session: &session.Session{}}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, nil, fmt.Errorf("redisstore: %s %s: decode: %w", op, id, err)
	}
	s := rec.Session
	if st.gone(s, now) {
		return nil, nil, fmt.Errorf("redisstore: %s %s: %w", op, id, session.ErrNotFound)
	}
	if !rec.Biometric || s.Reference == nil {
		return s, nil, nil
	}
	if bio == nil {
		return s, []string{session.BiometricReference}, nil // Redis's TTL removed it
	}
	s.Reference.Sealed = bio
	return s, s.ExpireBiometrics(now), nil
}

// getBiometric reads a biometric value from cmd: nil when its key is gone.
func getBiometric(cmd *redis.StringCmd) ([]byte, error) {
	b, err := cmd.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// recordExpired rewrites session id without the biometric values whose
// retention ran out, and audits it: Update does both.
func (st *Store) recordExpired(ctx context.Context, id string) (*session.Session, error) {
	return st.Update(ctx, id, func(*session.Session) error { return nil })
}

// Get returns the session as seen now: a PENDING session past its expiry
// comes back EXPIRED even though the stored copy still says PENDING.
//
// A session whose biometric retention has run out comes back without the
// values, and Get records that (see Update) before it returns.
func (st *Store) Get(ctx context.Context, id string) (*session.Session, error) {
	var get, bget *redis.StringCmd
	_, err := st.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, st.sessionKey(id))
		bget = p.Get(ctx, st.biometricKey(id))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: get %s: %w", id, unavailable(err))
	}
	bio, err := getBiometric(bget)
	if err != nil {
		return nil, fmt.Errorf("redisstore: get %s: %w", id, unavailable(err))
	}
	data, err := get.Bytes()
	now := st.now()
	s, expired, err := st.loadWith("get", id, data, err, bio, now)
	if err != nil {
		return nil, err
	}
	if expired != nil {
		return st.recordExpired(ctx, id)
	}
	s.Expire(now)
	return s, nil
}

// final carries an error out of Update's transaction to be returned as it
// is: fn's own error, or one that already names the operation.
type final struct{ err error }

func (e final) Error() string { return e.err.Error() }

// Update reads the session, calls fn on it (with expiry applied, as Get
// returns it) and writes it back if fn returns nil, in a WATCH/MULTI/EXEC
// transaction. When another writer changed the session in between, the
// transaction fails and Update starts again with a fresh read, up to the
// configured number of tries: fn may thus run more than once and must only
// change the session it is given. A try fails only when another writer
// committed, so with fewer concurrent writers than tries none gives up.
//
// The session's biometric value is written to its own key with its own TTL,
// or deleted when the session no longer keeps it. When Update finds that
// value's retention run out, it writes the session without it and appends
// a "data_expired" audit entry.
func (st *Store) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	key, akey, bkey := st.sessionKey(id), st.auditKey(id), st.biometricKey(id)
	for try := 1; ; try++ {
		var (
			out     *session.Session
			expired []string
		)
		err := st.client.Watch(ctx, func(tx *redis.Tx) error {
			data, err := tx.Get(ctx, key).Bytes()
			bio, berr := getBiometric(tx.Get(ctx, bkey))
			if err == nil && berr != nil {
				err = berr
			}
			now := st.now()
			s, exp, err := st.loadWith("update", id, data, err, bio, now)
			if err != nil {
				return final{err}
			}
			expired = exp
			s.Expire(now)
			if err := fn(s); err != nil {
				return final{err}
			}
			if s.ID != id {
				return final{session.Errorf(session.EInternal, "redisstore: update %s: fn changed the session id to %q", id, s.ID)}
			}
			expired = append(expired, s.ExpireBiometrics(now)...)
			enc, bio, err := encode(s)
			if err != nil {
				return final{fmt.Errorf("redisstore: update %s: encode: %w", id, err)}
			}
			ttl := st.ttl(s, now)
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, enc, ttl)
				if bio != nil {
					p.Set(ctx, bkey, bio, biometricTTL(s, now))
				} else {
					p.Del(ctx, bkey)
				}
				p.PExpire(ctx, akey, ttl) // a no-op while there is no audit trail
				return nil
			})
			if err != nil {
				return err // redis.TxFailedErr, or a Redis error wrapped below
			}
			out = s
			return nil
		}, key, bkey)

		var f final
		switch {
		case err == nil:
			if expired != nil {
				if err := st.AppendAudit(ctx, id, out.DataExpiredEntry(expired)); err != nil {
					return nil, err
				}
			}
			return out, nil
		case errors.As(err, &f):
			return nil, f.err
		case !errors.Is(err, redis.TxFailedErr):
			return nil, fmt.Errorf("redisstore: update %s: %w", id, unavailable(err))
		case try >= st.maxTries:
			return nil, &session.Error{
				Code:    session.EUnavailable,
				Message: "session is busy, try again",
				Err:     fmt.Errorf("redisstore: update %s: gave up after %d conflicting tries", id, try),
			}
		}
		if err := backoff(ctx, try); err != nil {
			return nil, fmt.Errorf("redisstore: update %s: %w", id, unavailable(err))
		}
	}
}

// backoff waits a random while that grows with the number of tries, so that
// writers who keep colliding spread out instead of colliding again.
func backoff(ctx context.Context, try int) error {
	limit := min(time.Duration(try)*500*time.Microsecond, 20*time.Millisecond)
	t := time.NewTimer(rand.N(limit) + 1)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// appendAudit applies one session.ChainAudit step to KEYS[2], the audit
// trail of the session at KEYS[1], only if the session exists and the trail
// is still as the caller read it: ARGV[1] entries, the last of them exactly
// ARGV[2] ("" for none). It then drops ARGV[4] entries from the front,
// pushes ARGV[5…] and gives the trail the session key's TTL. Taking the TTL
// from the session key inside the script keeps the two in step even when
// the session ends meanwhile; ARGV[3] (ms) is a fallback should the session
// key have none. It returns 1, 0 for no session, or -1 when the trail moved
// (another append won) and the caller must read it again.
//
// Redis scripts have SHA-1 but not SHA-256, so the hashes are computed in Go
// between the read and this conditional write: an optimistic lock on the
// head, as Update's WATCH is on the session.
var appendAudit = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then
	return 0
end
if ttl < 0 then
	ttl = ARGV[3]
end
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[1]) then
	return -1
end
local head = redis.call('LINDEX', KEYS[2], -1)
if head == false then
	head = ''
end
if head ~= ARGV[2] then
	return -1
end
local drop = tonumber(ARGV[4])
if drop > 0 then
	redis.call('LTRIM', KEYS[2], drop, -1)
end
for i = 5, #ARGV do
	redis.call('RPUSH', KEYS[2], ARGV[i])
end
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`)

// AppendAudit adds e to the session's audit trail, chained to the entry
// before it (session.ChainAudit); a full trail drops its oldest
// session.AuditDropBatch entries and records the drop in a checkpoint. The
// trail expires with the session.
//
// Appends from several instances at once still form one chain: each reads
// the trail's length and head, computes the new entries, and writes them
// only if the trail has not moved meanwhile, else reads again (up to the
// configured number of tries, like Update).
func (st *Store) AppendAudit(ctx context.Context, id string, e session.AuditEntry) error {
	key, akey := st.sessionKey(id), st.auditKey(id)
	for try := 1; ; try++ {
		var (
			get        *redis.StringCmd
			llen       *redis.IntCmd
			head, last *redis.StringCmd
		)
		_, err := st.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			get = p.Get(ctx, key)
			llen = p.LLen(ctx, akey)
			head = p.LIndex(ctx, akey, -1)
			last = p.LIndex(ctx, akey, session.AuditDropBatch-1)
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("redisstore: append audit %s: %w", id, unavailable(err))
		}
		// Read the session first so that the store's clock, not only
		// Redis's TTL, decides whether it is still kept.
		data, err := get.Bytes()
		now := st.now()
		s, err := st.load("append audit", id, data, err, now)
		if err != nil {
			return err
		}
		n := int(llen.Val())
		var headRaw string
		var headE, lastE *session.AuditEntry
		if n > 0 {
			headRaw = head.Val()
			if headE, err = decodeEntry(headRaw); err != nil {
				return fmt.Errorf("redisstore: append audit %s: head: %w", id, err)
			}
		}
		if n >= session.MaxAuditEntries {
			if lastE, err = decodeEntry(last.Val()); err != nil {
				return fmt.Errorf("redisstore: append audit %s: last dropped: %w", id, err)
			}
		}
		drop, add, err := session.ChainAudit(n, headE, lastE, e)
		if err != nil {
			return fmt.Errorf("redisstore: append audit %s: %w", id, err)
		}
		args := []any{n, headRaw, st.ttl(s, now).Milliseconds(), drop}
		for _, a := range add {
			enc, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("redisstore: append audit %s: encode: %w", id, err)
			}
			args = append(args, enc)
		}
		res, err := appendAudit.Run(ctx, st.client, []string{key, akey}, args...).Int()
		switch {
		case err != nil:
			return fmt.Errorf("redisstore: append audit %s: %w", id, unavailable(err))
		case res == 0:
			return fmt.Errorf("redisstore: append audit %s: %w", id, session.ErrNotFound)
		case res == 1:
			return nil
		case try >= st.maxTries:
			return &session.Error{
				Code:    session.EUnavailable,
				Message: "session is busy, try again",
				Err:     fmt.Errorf("redisstore: append audit %s: gave up after %d conflicting tries", id, try),
			}
		}
		if err := backoff(ctx, try); err != nil {
			return fmt.Errorf("redisstore: append audit %s: %w", id, unavailable(err))
		}
	}
}

func decodeEntry(raw string) (*session.AuditEntry, error) {
	var e session.AuditEntry
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	return &e, nil
}

// Audit returns the session's audit trail, oldest first; it is empty, not
// nil, for a session without entries.
func (st *Store) Audit(ctx context.Context, id string) ([]session.AuditEntry, error) {
	var (
		get, bget *redis.StringCmd
		lr        *redis.StringSliceCmd
	)
	_, err := st.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, st.sessionKey(id))
		bget = p.Get(ctx, st.biometricKey(id))
		lr = p.LRange(ctx, st.auditKey(id), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: audit %s: %w", id, unavailable(err))
	}
	bio, err := getBiometric(bget)
	if err != nil {
		return nil, fmt.Errorf("redisstore: audit %s: %w", id, unavailable(err))
	}
	data, err := get.Bytes()
	_, expired, err := st.loadWith("audit", id, data, err, bio, st.now())
	if err != nil {
		return nil, err
	}
	if expired != nil {
		// Record the expiry first, so that the trail shows it.
		if _, err := st.recordExpired(ctx, id); err != nil {
			return nil, err
		}
		return st.Audit(ctx, id)
	}
	raw, err := lr.Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: audit %s: %w", id, unavailable(err))
	}
	out := make([]session.AuditEntry, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			return nil, fmt.Errorf("redisstore: audit %s: decode entry %d: %w", id, i, err)
		}
	}
	return out, nil
}

// Ping reports whether Redis answers.
func (st *Store) Ping(ctx context.Context) error {
	if err := st.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", unavailable(err))
	}
	return nil
}

// Close closes the client if the store made it (Open), and does nothing for
// a client given to New.
func (st *Store) Close() error {
	if !st.ownClient {
		return nil
	}
	if err := st.client.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}
