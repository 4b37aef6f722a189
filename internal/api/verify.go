package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"strings"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
)

// MaxVerifyImageBytes bounds a session's verify_image once decoded from base64: a
// reference face photo needs no more (the face must be at least 60 pixels wide).
const MaxVerifyImageBytes = 2 << 20

// maxVerifyImageBase64 is the longest base64 text of a MaxVerifyImageBytes image, plus
// room for a data: URL prefix. The create body's limit is raised by this much, for this
// field only: the rest of the body stays within MaxBodyBytes.
const maxVerifyImageBase64 = (MaxVerifyImageBytes+2)/3*4 + 64

// ReferenceChecker judges a reference photo (a session's verify_image): one face,
// large, sharp and frontal enough, and its embedding. perception.FaceEmbedder
// implements it.
type ReferenceChecker interface {
	CheckReference(ctx context.Context, img image.Image) (faceid.Reference, error)
}

// decodeVerifyImage decodes verify_image: standard base64, optionally as a data: URL
// ("data:image/jpeg;base64,…"), of a JPEG or PNG of at most MaxVerifyImageBytes.
func decodeVerifyImage(text string) (image.Image, error) {
	if rest, ok := strings.CutPrefix(text, "data:"); ok {
		_, payload, found := strings.Cut(rest, ";base64,")
		if !found {
			return nil, session.Errorf(session.EInvalid, "verify_image: a data: URL must be base64 (data:image/jpeg;base64,…)")
		}
		text = payload
	}
	if base64.StdEncoding.DecodedLen(len(text)) > MaxVerifyImageBytes+2 {
		return nil, session.Errorf(session.ETooLarge, "verify_image must be at most %d bytes", MaxVerifyImageBytes)
	}
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, session.Errorf(session.EInvalid, "verify_image must be base64 (standard alphabet, padded)")
	}
	if len(data) > MaxVerifyImageBytes {
		return nil, session.Errorf(session.ETooLarge, "verify_image must be at most %d bytes", MaxVerifyImageBytes)
	}
	img, err := decodeImage(bytes.Clone(data))
	if err != nil {
		if se, ok := err.(*session.Error); ok {
			return nil, session.Errorf(se.Code, "verify_image: %s", se.Message)
		}
		return nil, err
	}
	return img, nil
}

// checkReference judges a decoded verify_image and returns what session sid keeps
// (the embedding sealed for it), or a 400 saying why the photo cannot serve as a
// reference.
func checkReference(ctx context.Context, refs ReferenceChecker, keys *sealed.Keyring, sid string, img image.Image) (*session.Reference, error) {
	r, err := refs.CheckReference(ctx, img)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Faces == 0:
		return nil, session.Errorf(session.EInvalid, "verify_image: no face found")
	case r.Faces > 1:
		return nil, session.Errorf(session.EInvalid, "verify_image: more than one face found")
	case r.Problem != "":
		return nil, session.Errorf(session.EInvalid, "verify_image: %s", r.Problem)
	}
	v, err := keys.Seal(sid, session.ReferenceLabel, r.Embedding.Bytes())
	if err != nil {
		return nil, fmt.Errorf("api: seal reference: %w", err)
	}
	return &session.Reference{Sealed: v, Quality: string(r.Quality)}, nil
}
