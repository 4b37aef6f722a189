package capture

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// checkOffer rejects offers capture cannot use before any pion state is
// made for them: too large, unparsable, without a video section the client
// sends, or without VP8 in it.
func checkOffer(offer string, maxBytes int) error {
	if len(offer) > maxBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrOfferTooLarge, len(offer), maxBytes)
	}
	if strings.TrimSpace(offer) == "" {
		return fmt.Errorf("%w: empty", ErrMalformedSDP)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedSDP, err)
	}
	video := false
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "video" || md.MediaName.Port.Value == 0 {
			continue
		}
		if hasAttr(md, "recvonly") || hasAttr(md, "inactive") {
			continue // the client would send nothing here
		}
		video = true
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			// "96 VP8/90000"
			if _, enc, ok := strings.Cut(a.Value, " "); ok {
				name, _, _ := strings.Cut(enc, "/")
				if strings.EqualFold(name, "VP8") {
					return nil
				}
			}
		}
	}
	if !video {
		return ErrNoVideo
	}
	return ErrUnsupportedCodec
}

func hasAttr(md *sdp.MediaDescription, key string) bool {
	_, ok := md.Attribute(key)
	return ok
}
