#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vp8cx.h>
#include "shim.h"

lg_decoder *lg_dec_new(int *err) {
	lg_decoder *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	vpx_codec_err_t e = vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0);
	if (e != VPX_CODEC_OK) {
		*err = e;
		free(d);
		return NULL;
	}
	return d;
}

int lg_dec_decode(lg_decoder *d, const uint8_t *data, size_t n) {
	d->img = NULL;
	d->w = d->h = 0;
	vpx_codec_err_t e = vpx_codec_decode(&d->ctx, data, (unsigned int)n, NULL, 0);
	d->err = e;
	if (e != VPX_CODEC_OK) {
		return LG_DEC_ERROR;
	}
	int corrupted = 0;
	if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupted) == VPX_CODEC_OK && corrupted) {
		// Drain the frame so the next decode starts clean.
		vpx_codec_iter_t it = NULL;
		while (vpx_codec_get_frame(&d->ctx, &it) != NULL) {
		}
		return LG_DEC_CORRUPT;
	}
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
	if (img == NULL) {
		return LG_DEC_NOFRAME;
	}
	// VP8 yields at most one frame per packet; drain to be safe.
	while (vpx_codec_get_frame(&d->ctx, &it) != NULL) {
	}
	d->img = img;
	d->w = img->d_w;
	d->h = img->d_h;
	return LG_DEC_FRAME;
}

void lg_dec_copy_y(const lg_decoder *d, uint8_t *dst, int stride) {
	const vpx_image_t *img = d->img;
	const uint8_t *src = img->planes[VPX_PLANE_Y];
	int sstride = img->stride[VPX_PLANE_Y];
	for (unsigned y = 0; y < img->d_h; y++) {
		memcpy(dst + (size_t)y * stride, src + (size_t)y * sstride, img->d_w);
	}
}

void lg_dec_copy_uv(const lg_decoder *d, uint8_t *u, uint8_t *v, int stride) {
	const vpx_image_t *img = d->img;
	// I420: the chroma planes are half the size, rounded up.
	unsigned cw = (img->d_w + 1) / 2, ch = (img->d_h + 1) / 2;
	for (unsigned y = 0; y < ch; y++) {
		memcpy(u + (size_t)y * stride, img->planes[VPX_PLANE_U] + (size_t)y * img->stride[VPX_PLANE_U], cw);
		memcpy(v + (size_t)y * stride, img->planes[VPX_PLANE_V] + (size_t)y * img->stride[VPX_PLANE_V], cw);
	}
}

const char *lg_dec_error(lg_decoder *d) {
	const char *detail = vpx_codec_error_detail(&d->ctx);
	if (detail != NULL && detail[0] != '\0') {
		return detail;
	}
	return vpx_codec_err_to_string((vpx_codec_err_t)d->err);
}

void lg_dec_free(lg_decoder *d) {
	if (d == NULL) {
		return;
	}
	vpx_codec_destroy(&d->ctx);
	free(d);
}

lg_encoder *lg_enc_new(unsigned w, unsigned h, int fps, int kbps, int *err) {
	lg_encoder *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t r = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (r != VPX_CODEC_OK) {
		*err = r;
		free(e);
		return NULL;
	}
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = fps;
	cfg.g_threads = 1;
	cfg.g_lag_in_frames = 0;     // realtime: one packet out per frame in
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_dropframe_thresh = 0; // never skip a frame: tests count them
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_max_dist = 3000;
	r = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (r != VPX_CODEC_OK) {
		*err = r;
		free(e);
		return NULL;
	}
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, 12);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_ENABLEAUTOALTREF, 0);
	size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	e->buf = malloc((size_t)w * h + 2 * cw * ch);
	if (e->buf == NULL) {
		vpx_codec_destroy(&e->ctx);
		free(e);
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, w, h, 1, e->buf);
	e->w = w;
	e->h = h;
	return e;
}

void lg_enc_set_plane(lg_encoder *e, int plane, const uint8_t *src, int stride) {
	unsigned pw = plane == 0 ? e->w : (e->w + 1) / 2;
	unsigned ph = plane == 0 ? e->h : (e->h + 1) / 2;
	uint8_t *dst = e->img.planes[plane];
	int dstride = e->img.stride[plane];
	for (unsigned y = 0; y < ph; y++) {
		memcpy(dst + (size_t)y * dstride, src + (size_t)y * stride, pw);
	}
}

int lg_enc_encode(lg_encoder *e, int force_key) {
	e->out = NULL;
	e->out_n = 0;
	e->out_key = 0;
	e->out_count = 0;
	vpx_enc_frame_flags_t flags = force_key ? VPX_EFLAG_FORCE_KF : 0;
	vpx_codec_err_t r = vpx_codec_encode(&e->ctx, &e->img, e->pts, 1, flags, VPX_DL_REALTIME);
	e->pts++;
	e->err = r;
	if (r != VPX_CODEC_OK) {
		return -1;
	}
	vpx_codec_iter_t it = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) {
			continue;
		}
		e->out_count++;
		e->out = pkt->data.frame.buf;
		e->out_n = pkt->data.frame.sz;
		e->out_key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
	}
	return 0;
}

const char *lg_enc_error(lg_encoder *e) {
	const char *detail = vpx_codec_error_detail(&e->ctx);
	if (detail != NULL && detail[0] != '\0') {
		return detail;
	}
	return vpx_codec_err_to_string((vpx_codec_err_t)e->err);
}

void lg_enc_free(lg_encoder *e) {
	if (e == NULL) {
		return;
	}
	vpx_codec_destroy(&e->ctx);
	free(e->buf);
	free(e);
}
