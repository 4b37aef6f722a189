package capture

import (
	"image"
	"time"
)

// ColourSink is a FrameSink that takes its frames in colour. When the sink
// given to Accept implements it, the peer decodes the chroma planes too
// (one extra copy of half the luma's bytes per frame, see
// vpx.Decoder.DecodeYCbCr) and calls FrameColour instead of Frame, with
// f.Colour set and the same ownership rule: the pixels are the peer's
// until FrameColour returns. f.Img is a view of f.Colour's Y plane, what
// Frame would have been given, so the grey engine takes it without a copy.
type ColourSink interface {
	FrameSink
	FrameColour(f Frame)
}

// GrayView is the luma plane of img as a grey image sharing its pixels.
func GrayView(img *image.YCbCr) image.Gray {
	return image.Gray{Pix: img.Y, Stride: img.YStride, Rect: img.Rect}
}

// StreamFrame is what a StreamWatcher is told of one decoded frame.
type StreamFrame struct {
	// Capture is the frame's capture time, as FrameSink's t (from the RTP
	// timestamp); Arrival is when its last packet was reassembled, on the
	// API's clock.
	Capture, Arrival time.Time
	// RTP is the frame's RTP timestamp, unwrapped, in seconds since the
	// stream's first frame.
	RTP float64
	// Y is the luma plane, Width×Height with Stride: valid only during the
	// call.
	Y             []byte
	Width, Height int
	Stride        int
}

// StreamWatcher is an optional interface of the sink given to Accept: the
// peer calls StreamFrame for every decoded frame, on its receive goroutine,
// before the analysis's pacing drops any. It sees what the analysis may
// skip (the stream's true timing, every picture), so stream cues (frame
// timing, repeated or frozen pictures) are measured there. It holds up the
// stream while it runs and must be quick: a few tens of microseconds.
type StreamWatcher interface {
	StreamFrame(f *StreamFrame)
}

func isColour(sink FrameSink) bool {
	_, ok := sink.(ColourSink)
	return ok
}
