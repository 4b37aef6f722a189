package capture

import "errors"

// ErrBadOffer is matched (errors.Is) by every error that means the client
// sent an unusable offer: the HTTP layer answers 400 for it.
var ErrBadOffer = errors.New("capture: bad offer")

// Offer errors returned by Accept; each also matches ErrBadOffer.
var (
	ErrOfferTooLarge    = &offerError{"SDP offer larger than the limit"}
	ErrMalformedSDP     = &offerError{"malformed SDP offer"}
	ErrNoVideo          = &offerError{"SDP offer has no video to receive"}
	ErrUnsupportedCodec = &offerError{"SDP offer has no VP8 video"}
)

type offerError struct{ msg string }

func (e *offerError) Error() string { return "capture: " + e.msg }

// Is makes every offer error match ErrBadOffer.
func (e *offerError) Is(target error) bool { return target == ErrBadOffer }

// Reasons a Peer ends, returned by Peer.Err.
var (
	// ErrClosed is the reason of Close(nil).
	ErrClosed = errors.New("capture: peer closed")
	// ErrConnectionFailed means ICE or DTLS failed or the remote closed.
	ErrConnectionFailed = errors.New("capture: connection failed or closed by the remote")
	// ErrConnectTimeout means the peer did not connect in time.
	ErrConnectTimeout = errors.New("capture: connection not established in time")
	// ErrTimeLimit means the connection reached its absolute time limit.
	ErrTimeLimit = errors.New("capture: connection time limit reached")
	// ErrFrameTooLarge means the stream's frames exceed the maximum size.
	ErrFrameTooLarge = errors.New("capture: video frames larger than the maximum size")
)

// ErrChannelNotOpen is returned by Peer.Send before the data channel is
// open or after the peer closed.
var ErrChannelNotOpen = errors.New("capture: data channel not open")
