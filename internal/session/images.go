package session

import (
	"context"
	"strconv"
	"time"
)

// Evidence images (issue 13): a finished session keeps a few JPEGs of the
// face for its biometric retention (BiometricUntil), sealed like every
// biometric value (internal/sealed, label ImageLabel(name), the session id
// as associated data). They live beside the session, not in it: a session
// read never carries them, and they go at once on DeleteImages, at
// BiometricUntil, or with the session.

// The names of a session's evidence images.
const (
	// ImageFar and ImageNear are the frames of the finishing attempt
	// where the face was smallest and largest (ADVANCE.AI's
	// imageFar/imageNear).
	ImageFar  = "image_far"
	ImageNear = "image_near"
	// ImageBest is the best frontal frame (the anti-spoofing model's top
	// sample).
	ImageBest = "image_best"
	// MaxAuditImages audit frames, audit_1 … audit_4, spread over the
	// attempt, each with its face box and time (AWS's AuditImages).
	MaxAuditImages = 4
	// MaxImages bounds the images of one session.
	MaxImages = 3 + MaxAuditImages
	// MaxImageBytes bounds one stored (sealed) image.
	MaxImageBytes = 256 << 10
)

// AuditImageName is the name of the i-th audit frame, from 1.
func AuditImageName(i int) string { return "audit_" + strconv.Itoa(i) }

// ValidImageName reports whether name is one a session's image may have.
func ValidImageName(name string) bool {
	switch name {
	case ImageFar, ImageNear, ImageBest:
		return true
	}
	for i := 1; i <= MaxAuditImages; i++ {
		if name == AuditImageName(i) {
			return true
		}
	}
	return false
}

// ImageLabel is what the image name is sealed as.
func ImageLabel(name string) string { return "image:" + name }

// Box is a face box in an image's pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"width"`
	H int `json:"height"`
}

// Image is one evidence image: what it shows, in the clear, and the JPEG,
// sealed.
type Image struct {
	Name   string    `json:"name"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Box    *Box      `json:"box,omitempty"` // the face, when one was tracked
	At     time.Time `json:"at"`            // the frame's arrival on the server's clock
	// Sealed is the JPEG sealed under ImageLabel(Name); nil in a listing.
	Sealed []byte `json:"-"`
}

// ImageStore keeps sessions' evidence images. Both session stores
// implement it; the images of a session go with the session when the store
// forgets it.
type ImageStore interface {
	// PutImages replaces the images of session sid with imgs, kept until
	// until (the session's BiometricUntil) and not a moment longer. It
	// returns ErrNotFound for an unknown session, an EInvalid error for a
	// bad name, a repeated name, an empty or oversized image or more than
	// MaxImages, and an EUnavailable error when the store is full; on any
	// error nothing is stored and the session itself is untouched.
	PutImages(ctx context.Context, sid string, imgs []Image, until time.Time) error
	// Images returns the session's images in the order they were put,
	// without their bytes unless data is true; none (nil, no error) for a
	// session that keeps none, whose images expired, or that is unknown.
	Images(ctx context.Context, sid string, data bool) ([]Image, error)
	// Image returns one image with its bytes, or ErrNotFound.
	Image(ctx context.Context, sid, name string) (*Image, error)
	// DeleteImages removes the session's images at once and returns how
	// many it removed (0 for a session without any, or unknown).
	DeleteImages(ctx context.Context, sid string) (int, error)
}

// CheckImages reports the first reason PutImages must refuse imgs.
func CheckImages(imgs []Image) error {
	if len(imgs) > MaxImages {
		return Errorf(EInvalid, "%d images, at most %d", len(imgs), MaxImages)
	}
	seen := make(map[string]bool, len(imgs))
	for _, im := range imgs {
		switch {
		case !ValidImageName(im.Name):
			return Errorf(EInvalid, "bad image name %q", im.Name)
		case seen[im.Name]:
			return Errorf(EInvalid, "image %q twice", im.Name)
		case len(im.Sealed) == 0 || len(im.Sealed) > MaxImageBytes:
			return Errorf(EInvalid, "image %q is %d bytes, want 1 to %d", im.Name, len(im.Sealed), MaxImageBytes)
		}
		seen[im.Name] = true
	}
	return nil
}
