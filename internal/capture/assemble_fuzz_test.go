package capture

import (
	"encoding/binary"
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/livegate/livegate/internal/codec/vpx"
)

// fuzzPackets reads the fuzzer's bytes as RTP packets: per packet a 4-byte
// header (sequence step as a signed byte, so packets can repeat, reorder
// and jump; flags: bit 0 marker, bits 1-3 timestamp step in frames, bits
// 4-7 milliseconds until arrival; payload length, 11 bits little endian)
// and the payload, VP8 payload descriptor included.
func fuzzPackets(data []byte, at func(d time.Duration, p *rtp.Packet)) {
	seq, ts := uint16(1000), uint32(0)
	for len(data) >= 4 {
		seq += uint16(int8(data[0]))
		flags := data[1]
		ts += uint32(flags>>1&7) * 3000
		n := int(binary.LittleEndian.Uint16(data[2:4]) & 0x7ff)
		data = data[4:]
		n = min(n, len(data))
		p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: flags&1 == 1}, Payload: data[:n]}
		data = data[n:]
		at(time.Duration(flags>>4)*time.Millisecond, p)
	}
}

// encodeFuzzPackets is fuzzPackets' inverse for a stream of frames, each
// split into parts packets in order: the seeds.
func encodeFuzzPackets(frames [][]byte, parts int) []byte {
	var out []byte
	for i, f := range frames {
		size := (len(f) + parts - 1) / parts
		for j := 0; j < parts; j++ {
			lo, hi := min(j*size, len(f)), min((j+1)*size, len(f))
			desc := byte(0)
			if j == 0 {
				desc = 0x10 // S: start of partition 0
			}
			payload := append([]byte{desc}, f[lo:hi]...)
			flags := byte(1 << 4) // 1 ms apart
			if j == parts-1 {
				flags |= 1
			}
			if j == 0 && i > 0 {
				flags |= 1 << 1 // next frame's timestamp
			}
			out = append(out, 1, flags)
			out = binary.LittleEndian.AppendUint16(out, uint16(len(payload)))
			out = append(out, payload...)
		}
	}
	return out
}

// vp8Stream encodes n frames of a moving gradient at w×h.
func vp8Stream(tb testing.TB, w, h, n int) [][]byte {
	enc, err := vpx.NewEncoder(w, h, 30, 300)
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	var frames [][]byte
	for i := 0; i < n; i++ {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for j := range img.Y {
			img.Y[j] = uint8(j%w*3 + j/w + 8*i)
		}
		for j := range img.Cb {
			img.Cb[j], img.Cr[j] = 128, 128
		}
		f, _, err := enc.Encode(img, i == 0)
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, f)
	}
	return frames
}

const fuzzMaxW, fuzzMaxH = 320, 240

// FuzzAssembleVP8 feeds arbitrary RTP packets through the assembler into
// libvpx, as a peer's track does (receive.go): a frame after a loss waits
// for a key frame. Nothing may panic or crash in C, every emitted frame
// is no longer than the payloads pushed, and every decoded picture is
// within the decoder's size limit. Run it under -race too: the decoder is
// cgo.
func FuzzAssembleVP8(f *testing.F) {
	frames := vp8Stream(f, 64, 48, 3)
	f.Add(encodeFuzzPackets(frames, 1))
	f.Add(encodeFuzzPackets(frames, 3))
	f.Add(encodeFuzzPackets(frames[:1], 5))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) { assembleVP8(t, data) })
}

// TestFuzzAssembleVP8Seeds: the seeds reach libvpx, whole frames at a
// time, however they are split into packets, so the fuzzer starts from
// streams that decode.
func TestFuzzAssembleVP8Seeds(t *testing.T) {
	frames := vp8Stream(t, 64, 48, 3)
	for _, parts := range []int{1, 3, 5} {
		if got := assembleVP8(t, encodeFuzzPackets(frames, parts)); got != 3 {
			t.Errorf("%d packets a frame: %d frames decoded; want 3", parts, got)
		}
	}
}

// assembleVP8 is one run of FuzzAssembleVP8; it returns the number of
// frames decoded.
func assembleVP8(t *testing.T, data []byte) int {
	dec, err := vpx.NewDecoder(vpx.WithMaxSize(fuzzMaxW, fuzzMaxH))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	a := newAssembler(64, 50*time.Millisecond)
	var img image.Gray
	needKey, decoded := true, 0
	pushed := 0
	now := time.Unix(0, 0)
	emit := func(frame []byte, ts uint32, lost bool) {
		if len(frame) > pushed {
			t.Fatalf("emitted %d bytes after %d bytes of payload", len(frame), pushed)
		}
		key := vpx.IsKeyframe(frame)
		if (lost || needKey) && !key {
			needKey = true
			return
		}
		g, err := dec.DecodeGray(frame, &img)
		if err != nil {
			needKey = true
			return
		}
		needKey = false
		decoded++
		if b := g.Bounds(); b.Dx() > fuzzMaxW || b.Dy() > fuzzMaxH {
			t.Fatalf("decoded %v, over the %dx%d limit", b, fuzzMaxW, fuzzMaxH)
		}
	}
	fuzzPackets(data, func(d time.Duration, p *rtp.Packet) {
		now = now.Add(d)
		pushed += len(p.Payload)
		a.push(p, now, emit)
	})
	return decoded
}
