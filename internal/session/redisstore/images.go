package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// A session's evidence images live in one hash, {prefix}images:{id}: the
// field "meta" holds their names, sizes, boxes and times and the moment
// they must be gone (JSON), and one field per image its sealed JPEG. The
// key's TTL is the session's biometric retention, so Redis removes the
// images on time even if no instance reads them; reads check the moment
// too, so a clock ahead of Redis's never serves one late.

func (st *Store) imagesKey(id string) string { return st.prefix + "images:" + id }

const metaField = "meta"

type imageMeta struct {
	Until  time.Time       `json:"until"`
	Images []session.Image `json:"images"`
}

var _ session.ImageStore = (*Store)(nil)

// putImages replaces the hash KEYS[2] of session KEYS[1] with the fields
// and values ARGV[2…], expiring in ARGV[1] ms, unless the session is gone
// (0). The hash is built at KEYS[3] (which no script leaves behind) and
// renamed. Its first write must be one that needs memory (HSET, not DEL):
// Redis checks maxmemory at a script's first write only, so a Redis at
// maxmemory then refuses the script before it has touched anything.
var putImages = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return 0
end
for i = 2, #ARGV, 2 do
	redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1])
end
redis.call('RENAME', KEYS[3], KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`)

// full reports Redis refusing a write at maxmemory, as a clear error.
func full(op, sid string, err error) error {
	if err != nil && strings.HasPrefix(err.Error(), "OOM ") {
		return fmt.Errorf("redisstore: %s %s: %w", op, sid, &session.Error{Code: session.EUnavailable,
			Message: "Redis is full (maxmemory reached): evidence images not stored; the session is kept", Err: err})
	}
	return fmt.Errorf("redisstore: %s %s: %w", op, sid, unavailable(err))
}

// PutImages writes the session's images in one step, replacing any it had.
func (st *Store) PutImages(ctx context.Context, sid string, imgs []session.Image, until time.Time) error {
	if err := session.CheckImages(imgs); err != nil {
		return fmt.Errorf("redisstore: put images %s: %w", sid, err)
	}
	now := st.now()
	if len(imgs) == 0 || !now.Before(until) {
		_, err := st.DeleteImages(ctx, sid)
		return err
	}
	meta := imageMeta{Until: until, Images: make([]session.Image, len(imgs))}
	args := []any{max(until.Sub(now), time.Millisecond).Milliseconds(), metaField, nil}
	for i, im := range imgs {
		meta.Images[i] = im
		args = append(args, im.Name, im.Sealed)
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("redisstore: put images %s: %w", sid, err)
	}
	args[2] = m
	n, err := putImages.Run(ctx, st.client, []string{st.sessionKey(sid), st.imagesKey(sid), st.imagesKey(sid) + ":new"}, args...).Int()
	if err != nil {
		return full("put images", sid, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: put images %s: %w", sid, session.ErrNotFound)
	}
	return nil
}

// readMeta decodes the meta field; nil when the images are gone or past
// their moment (then deleted).
func (st *Store) readMeta(ctx context.Context, sid string, raw string, err error) (*imageMeta, error) {
	if errors.Is(err, redis.Nil) || (err == nil && raw == "") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: images %s: %w", sid, unavailable(err))
	}
	var m imageMeta
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("redisstore: images %s: decode: %w", sid, err)
	}
	if !st.now().Before(m.Until) {
		if err := st.client.Del(ctx, st.imagesKey(sid)).Err(); err != nil {
			return nil, fmt.Errorf("redisstore: images %s: drop expired: %w", sid, unavailable(err))
		}
		return nil, nil
	}
	return &m, nil
}

// Images reads the meta field, and every image's bytes when data is true.
func (st *Store) Images(ctx context.Context, sid string, data bool) ([]session.Image, error) {
	key := st.imagesKey(sid)
	if !data {
		raw, err := st.client.HGet(ctx, key, metaField).Result()
		m, err := st.readMeta(ctx, sid, raw, err)
		if m == nil {
			return nil, err
		}
		return m.Images, nil
	}
	all, err := st.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: images %s: %w", sid, unavailable(err))
	}
	m, err := st.readMeta(ctx, sid, all[metaField], nil)
	if m == nil {
		return nil, err
	}
	for i := range m.Images {
		m.Images[i].Sealed = []byte(all[m.Images[i].Name])
	}
	return m.Images, nil
}

// Image reads the meta field and one image's bytes together.
func (st *Store) Image(ctx context.Context, sid, name string) (*session.Image, error) {
	if name == metaField {
		return nil, fmt.Errorf("redisstore: image %s/%s: %w", sid, name, session.ErrNotFound)
	}
	vs, err := st.client.HMGet(ctx, st.imagesKey(sid), metaField, name).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: image %s/%s: %w", sid, name, unavailable(err))
	}
	raw, _ := vs[0].(string)
	m, err := st.readMeta(ctx, sid, raw, nil)
	if err != nil {
		return nil, err
	}
	b, _ := vs[1].(string)
	if m != nil && b != "" {
		for _, im := range m.Images {
			if im.Name == name {
				im.Sealed = []byte(b)
				return &im, nil
			}
		}
	}
	return nil, fmt.Errorf("redisstore: image %s/%s: %w", sid, name, session.ErrNotFound)
}

// DeleteImages deletes the hash, counting the images it held.
func (st *Store) DeleteImages(ctx context.Context, sid string) (int, error) {
	key := st.imagesKey(sid)
	var get *redis.StringCmd
	_, err := st.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.HGet(ctx, key, metaField)
		p.Del(ctx, key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("redisstore: delete images %s: %w", sid, unavailable(err))
	}
	raw, err := get.Result()
	if err != nil || raw == "" {
		return 0, nil
	}
	var m imageMeta
	if json.Unmarshal([]byte(raw), &m) != nil || !st.now().Before(m.Until) {
		return 0, nil
	}
	return len(m.Images), nil
}
