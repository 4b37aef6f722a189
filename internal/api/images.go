package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
)

// Evidence images (issue 13): a finished session's result lists the
// images the session keeps (session.ImageStore) as links signed with
// signedurl that a browser opens without an API key (result_type
// IMAGE_URL, the default) or inline (IMAGE_BASE64). A link lasts
// ImageURLTTL (default 24 h) and never past the images' own retention.

// DefaultImageURLTTL is how long an image link lasts by default.
const DefaultImageURLTTL = 24 * time.Hour

// The result_type values of GET …/{sid}.
const (
	ResultImageURL    = "IMAGE_URL"
	ResultImageBase64 = "IMAGE_BASE64"
)

// The images_status values of a finished session's result.
const (
	imagesKept        = "kept"                   // listed in images
	imagesNoDataKeys  = "no_data_keys"           // the server keeps no biometric data
	imagesNoRetention = "no_biometric_retention" // the session's retention keeps none past its end
	imagesNone        = "none"                   // deleted, past retention, or not stored: the audit trail says which
)

// imageView is one image in a result.
type imageView struct {
	Name        string       `json:"name"`
	ContentType string       `json:"content_type"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	At          time.Time    `json:"at"`
	Box         *session.Box `json:"box,omitempty"`
	URL         string       `json:"url,omitempty"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
	Base64      string       `json:"base64,omitempty"`
}

// resultType reads the result_type query parameter.
func resultType(r *http.Request) (string, error) {
	q := r.URL.Query()
	if len(q["result_type"]) > 1 {
		return "", session.Errorf(session.EInvalid, "result_type given more than once")
	}
	switch t := q.Get("result_type"); t {
	case "", ResultImageURL:
		return ResultImageURL, nil
	case ResultImageBase64:
		return ResultImageBase64, nil
	default:
		return "", session.Errorf(session.EInvalid, "result_type must be %s or %s", ResultImageURL, ResultImageBase64)
	}
}

// imagePath is the path of one image's link.
func imagePath(sid, name string) string { return "/evidence/" + sid + "/" + name }

// ImageLink returns the signed path (no scheme or host) of s's image name
// and its expiry: ttl from now, never past the images' retention, to the
// second. The result's links and the session report's both use it.
func ImageLink(signer *signedurl.Signer, s *session.Session, name string, ttl time.Duration, now time.Time) (string, time.Time) {
	exp := now.Add(ttl)
	if until := s.BiometricUntil(); until.Before(exp) {
		exp = until
	}
	exp = time.Unix(exp.Unix(), 0).UTC() // the link's own precision
	return signer.Path(imagePath(s.ID, name), exp), exp
}

// images lists s's images for its result as rt asks, and says why there
// are none.
func (h *Handler) images(r *http.Request, s *session.Session, rt string, now time.Time) ([]imageView, string, error) {
	out := []imageView{}
	if h.imageStore == nil || h.dataKeys == nil || h.signer == nil {
		return out, imagesNoDataKeys, nil
	}
	imgs, err := h.imageStore.Images(r.Context(), s.ID, rt == ResultImageBase64)
	if err != nil {
		return nil, "", fmt.Errorf("api: images of %s: %w", s.ID, err)
	}
	if len(imgs) == 0 {
		if s.BiometricRetention <= 0 {
			return out, imagesNoRetention, nil
		}
		return out, imagesNone, nil
	}
	for _, im := range imgs {
		v := imageView{Name: im.Name, ContentType: "image/jpeg", Width: im.Width, Height: im.Height, At: im.At, Box: im.Box}
		if rt == ResultImageBase64 {
			jp, err := h.dataKeys.Open(s.ID, session.ImageLabel(im.Name), im.Sealed)
			if err != nil {
				return nil, "", fmt.Errorf("api: open image %s of %s: %w", im.Name, s.ID, err)
			}
			v.Base64 = base64.StdEncoding.EncodeToString(jp)
		} else {
			path, exp := ImageLink(h.signer, s, im.Name, h.imageTTL, now)
			v.URL, v.ExpiresAt = h.publicURL+path, &exp
		}
		out = append(out, v)
	}
	return out, imagesKept, nil
}

// serveImage answers GET /evidence/{sid}/{name}?exp=…&sig=…, a signed
// link: the JPEG, never cached or sniffed; 403 for a link tampered with or
// expired (or signed with a key the server no longer holds), 404 once the
// image is gone.
func (h *Handler) serveImage(w http.ResponseWriter, r *http.Request) {
	sid, name := r.PathValue("sid"), r.PathValue("name")
	if h.signer == nil || h.imageStore == nil || h.dataKeys == nil {
		writeError(w, r, h.log, session.Errorf(session.ENotFound, "this server keeps no evidence images"))
		return
	}
	if err := h.signer.Verify(imagePath(sid, name), r.URL.Query(), h.now()); err != nil {
		msg := "image link signature missing or invalid"
		if errors.Is(err, signedurl.ErrExpired) {
			msg = "image link expired"
		}
		writeError(w, r, h.log, session.Errorf(session.EForbidden, "%s", msg))
		return
	}
	if !session.ValidID(sid) || !session.ValidImageName(name) {
		writeError(w, r, h.log, session.Errorf(session.ENotFound, "no such image"))
		return
	}
	im, err := h.imageStore.Image(r.Context(), sid, name)
	if errors.Is(err, session.ErrNotFound) {
		writeError(w, r, h.log, session.Errorf(session.ENotFound, "image deleted or past its retention"))
		return
	}
	if err != nil {
		writeError(w, r, h.log, fmt.Errorf("api: image %s of %s: %w", name, sid, err))
		return
	}
	jp, err := h.dataKeys.Open(sid, session.ImageLabel(name), im.Sealed)
	if err != nil {
		writeError(w, r, h.log, fmt.Errorf("api: open image %s of %s: %w", name, sid, err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/jpeg")
	hd.Set("Content-Length", strconv.Itoa(len(jp)))
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(jp)
	}
}

// deleteImages removes s's images, returning their names.
func (h *Handler) deleteImages(r *http.Request, sid string) ([]string, error) {
	if h.imageStore == nil {
		return nil, nil
	}
	imgs, err := h.imageStore.Images(r.Context(), sid, false)
	if err != nil {
		return nil, err
	}
	if _, err := h.imageStore.DeleteImages(r.Context(), sid); err != nil {
		return nil, err
	}
	var names []string
	for _, im := range imgs {
		names = append(names, im.Name)
	}
	return names, nil
}

// deleteEvidence answers DELETE …/{sid}/evidence: the session's images go
// at once, in every store, and the audit trail records it; the verdict and
// any other biometric value stay. Asking again is harmless.
func (h *Handler) deleteEvidence(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		s, err := h.load(r, kind, owner)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		deleted, err := h.deleteImages(r, s.ID)
		if err != nil {
			writeError(w, r, h.log, fmt.Errorf("api: delete evidence of %s: %w", s.ID, err))
			return
		}
		if deleted == nil {
			deleted = []string{}
		}
		outcome := fmt.Sprint(len(deleted))
		h.appendAudit(r, s.ID, session.AuditEntry{Time: h.now(), Event: "evidence_deleted", Outcome: outcome})
		writeJSON(w, r, h.log, http.StatusOK, dataView{SID: s.ID, Status: s.StatusAt(h.now()), Deleted: deleted})
	}
}
