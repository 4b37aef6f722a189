package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// TestImagesTTL: the images' key expires in Redis at the session's
// biometric retention, not the session's.
func TestImagesTTL(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	st := redisstore.New(c, redisstore.WithPrefix(prefix))
	defer st.Close()
	s := sessiontest.NewSession(t, time.Now())
	s.BiometricRetention = 90 * time.Minute
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	img := session.Image{Name: session.ImageBest, Sealed: []byte("jpeg")}
	if err := st.PutImages(ctx, s.ID, []session.Image{img}, s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	want := time.Until(s.BiometricUntil())
	ttl := c.PTTL(ctx, prefix+"images:"+s.ID).Val()
	if ttl <= 0 || ttl > want+time.Second || ttl < want-time.Minute {
		t.Errorf("images key TTL %v; want about %v", ttl, want)
	}
	if keys := sessiontest.RedisKeys(t, c, prefix+"images:"+s.ID+":"); len(keys) != 0 {
		t.Errorf("PutImages left its scratch key: %v", keys)
	}
}

// TestImagesRedisFull: a Redis at maxmemory refuses the images with a
// clear EUnavailable error, and the session and its verdict are kept.
func TestImagesRedisFull(t *testing.T) {
	own := sessiontest.StartRedis(t)
	c, ctx := own.Client, context.Background()
	st := redisstore.New(c)
	defer st.Close()
	s := sessiontest.NewSession(t, time.Now())
	s.BiometricRetention = time.Hour
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, s.ID, func(x *session.Session) error {
		return x.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	first := []session.Image{{Name: session.ImageFar, Sealed: []byte("first")}}
	if err := st.PutImages(ctx, s.ID, first, s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	// Full: every write needing memory is refused from now on.
	if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	err := st.PutImages(ctx, s.ID, []session.Image{{Name: session.ImageBest, Sealed: []byte("second")}}, s.BiometricUntil())
	var se *session.Error
	if !errors.As(err, &se) || se.Code != session.EUnavailable || !strings.Contains(err.Error(), "Redis is full") {
		t.Fatalf("PutImages on a full Redis: %v; want an EUnavailable error saying Redis is full", err)
	}
	got, err := st.Get(ctx, s.ID)
	if err != nil || got.Result == nil || got.Result.Status != "success" {
		t.Fatalf("the session after the refused put: %+v, %v", got, err)
	}
	imgs, err := st.Images(ctx, s.ID, true)
	if err != nil || len(imgs) != 1 || string(imgs[0].Sealed) != "first" {
		t.Errorf("the images it had before the refused put: %+v, %v", imgs, err)
	}
}
