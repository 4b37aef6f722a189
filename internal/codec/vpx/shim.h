// Small C layer over libvpx. It keeps every libvpx struct in C memory, so the
// Go side never hands libvpx a Go pointer it could retain, and a decode is a
// single cgo call that allocates nothing on the Go heap.
#ifndef LIVEGATE_VPX_SHIM_H
#define LIVEGATE_VPX_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

// Result codes of lg_dec_decode.
enum {
	LG_DEC_FRAME = 0,    // a frame was decoded; w, h and img are set
	LG_DEC_NOFRAME = 1,  // valid data but no frame to show (e.g. hidden frame)
	LG_DEC_ERROR = -1,   // libvpx rejected the data
	LG_DEC_CORRUPT = -2, // libvpx decoded it but flagged the frame corrupt
};

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img; // last frame, owned by libvpx, valid until the next decode
	unsigned w, h;
	int err; // last vpx_codec_err_t
} lg_decoder;

lg_decoder *lg_dec_new(int *err);
int lg_dec_decode(lg_decoder *d, const uint8_t *data, size_t n);
void lg_dec_copy_y(const lg_decoder *d, uint8_t *dst, int stride);
// Copies the U and V planes (I420: half width and height, rounded up).
void lg_dec_copy_uv(const lg_decoder *d, uint8_t *u, uint8_t *v, int stride);
const char *lg_dec_error(lg_decoder *d);
void lg_dec_free(lg_decoder *d);

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t img;  // wraps buf
	uint8_t *buf;     // I420 frame, w*h*3/2 bytes
	unsigned w, h;
	int64_t pts;
	const uint8_t *out;  // last packet, owned by libvpx until the next encode
	size_t out_n;
	int out_key;
	int out_count;  // number of frame packets produced by the last encode
	int err;
} lg_encoder;

lg_encoder *lg_enc_new(unsigned w, unsigned h, int fps, int kbps, int *err);
// Copies one plane of the next input frame into the encoder's own buffer.
void lg_enc_set_plane(lg_encoder *e, int plane, const uint8_t *src, int stride);
int lg_enc_encode(lg_encoder *e, int force_key);
const char *lg_enc_error(lg_encoder *e);
void lg_enc_free(lg_encoder *e);

#endif
