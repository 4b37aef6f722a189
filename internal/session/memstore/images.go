package memstore

import (
	"bytes"
	"container/list"
	"context"
	"fmt"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// DefaultImageCap bounds the memory the evidence images of every session
// take together, when WithImageCap is not given: 256 MiB.
const DefaultImageCap = 256 << 20

// WithImageCap sets the most bytes of evidence images the store holds
// (default DefaultImageCap). Past it, the sessions whose images were put
// first lose them first (each such eviction is audited as
// "images_evicted" on the session and counted, see ImagesEvicted). A cap
// of 0 or less keeps the default.
func WithImageCap(bytes int64) Option {
	return func(c *config) {
		if bytes > 0 {
			c.imageCap = bytes
		}
	}
}

// EventImagesEvicted is the audit event of images dropped to make room
// under the memory cap; its outcome is how many.
const EventImagesEvicted = "images_evicted"

// imageSet is one session's images, with their place in the store's
// put-order queue.
type imageSet struct {
	imgs  []session.Image
	until time.Time
	size  int64
	elem  *list.Element // Value: the session id
}

func setSize(imgs []session.Image) int64 {
	var n int64
	for _, im := range imgs {
		n += int64(len(im.Sealed))
	}
	return n
}

var _ session.ImageStore = (*Store)(nil)

// dropImages forgets e's images. The caller holds st.mu.
func (st *Store) dropImages(e *entry) int {
	if e.images == nil {
		return 0
	}
	n := len(e.images.imgs)
	st.imageBytes -= e.images.size
	st.imageOrder.Remove(e.images.elem)
	e.images = nil
	return n
}

// liveImages returns e's images, dropping them first when past their
// retention. The caller holds st.mu.
func (st *Store) liveImages(e *entry, now time.Time) *imageSet {
	if e.images != nil && !now.Before(e.images.until) {
		st.dropImages(e)
	}
	return e.images
}

// PutImages stores copies of imgs for the session, evicting the oldest
// sets of other sessions while the total is over the cap. A set larger
// than the cap on its own is refused (EUnavailable).
func (st *Store) PutImages(ctx context.Context, sid string, imgs []session.Image, until time.Time) error {
	if err := session.CheckImages(imgs); err != nil {
		return fmt.Errorf("memstore: put images %s: %w", sid, err)
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(sid, now)
	if !ok {
		return fmt.Errorf("memstore: put images %s: %w", sid, session.ErrNotFound)
	}
	st.dropImages(e)
	if len(imgs) == 0 || !now.Before(until) {
		return nil
	}
	size := setSize(imgs)
	if size > st.imageCap {
		return fmt.Errorf("memstore: put images %s: %w", sid, session.Errorf(session.EUnavailable,
			"evidence images of %d bytes exceed the memory cap of %d bytes", size, st.imageCap))
	}
	for st.imageBytes+size > st.imageCap {
		oldest := st.imageOrder.Front()
		id := oldest.Value.(string)
		victim := st.sessions[id]
		n := st.dropImages(victim)
		st.imagesEvicted += uint64(n)
		_ = victim.appendAudit(session.AuditEntry{Time: now, Event: EventImagesEvicted, Outcome: fmt.Sprint(n)})
	}
	set := &imageSet{imgs: make([]session.Image, len(imgs)), until: until, size: size}
	for i, im := range imgs {
		im.Sealed = bytes.Clone(im.Sealed)
		if im.Box != nil {
			b := *im.Box
			im.Box = &b
		}
		set.imgs[i] = im
	}
	set.elem = st.imageOrder.PushBack(sid)
	st.imageBytes += size
	e.images = set
	return nil
}

// copyImage returns a copy of im, its bytes only when data is true.
func copyImage(im session.Image, data bool) session.Image {
	if im.Box != nil {
		b := *im.Box
		im.Box = &b
	}
	if data {
		im.Sealed = bytes.Clone(im.Sealed)
	} else {
		im.Sealed = nil
	}
	return im
}

// Images returns copies of the session's images.
func (st *Store) Images(ctx context.Context, sid string, data bool) ([]session.Image, error) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(sid, now)
	if !ok {
		return nil, nil
	}
	set := st.liveImages(e, now)
	if set == nil {
		return nil, nil
	}
	out := make([]session.Image, len(set.imgs))
	for i, im := range set.imgs {
		out[i] = copyImage(im, data)
	}
	return out, nil
}

// Image returns a copy of one image.
func (st *Store) Image(ctx context.Context, sid, name string) (*session.Image, error) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(sid, now)
	if ok {
		if set := st.liveImages(e, now); set != nil {
			for _, im := range set.imgs {
				if im.Name == name {
					c := copyImage(im, true)
					return &c, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("memstore: image %s/%s: %w", sid, name, session.ErrNotFound)
}

// DeleteImages forgets the session's images.
func (st *Store) DeleteImages(ctx context.Context, sid string) (int, error) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(sid, now)
	if !ok || st.liveImages(e, now) == nil {
		return 0, nil
	}
	return st.dropImages(e), nil
}

// ImageBytes reports the bytes of evidence images the store holds.
func (st *Store) ImageBytes() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.imageBytes
}

// ImagesEvicted reports how many images the memory cap has evicted.
func (st *Store) ImagesEvicted() uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.imagesEvicted
}
