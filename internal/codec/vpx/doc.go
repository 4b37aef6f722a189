// Package vpx decodes and encodes VP8 with libvpx through cgo.
//
// It is the only package of livegate that links libvpx. The decoder turns
// each VP8 frame into the luma (Y) plane only, written into a reused
// *image.Gray, so a stream of frames of one size decodes with no Go
// allocation per frame. The encoder exists for the Go test client and tests.
//
// Frames larger than the decoder's maximum size (1280×720 by default) are
// refused, not scaled: the key frame's header is checked before libvpx sees
// the data, so an oversize stream never makes libvpx allocate its buffers.
package vpx
