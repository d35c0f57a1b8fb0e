#include "render/video_convert.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "core/result.h"

namespace sp {

AVColorSpace picture_colorspace(const AVFrame *f) {
  const AVColorSpace cs = f->colorspace;
  if (cs != AVCOL_SPC_UNSPECIFIED && cs != AVCOL_SPC_RESERVED) return cs;
  // Untagged: mpv's guess, and SDL's automatic mode: HD is BT.709.
  return (f->width >= 1280 || f->height > 576) ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG;
}

bool picture_full_range(const AVFrame *f) {
  if (f->color_range == AVCOL_RANGE_JPEG) return true;
  switch (f->format) {
  case AV_PIX_FMT_YUVJ420P:
  case AV_PIX_FMT_YUVJ422P:
  case AV_PIX_FMT_YUVJ444P:
  case AV_PIX_FMT_YUVJ440P:
  case AV_PIX_FMT_YUVJ411P:
    return true;
  default:
    return false;
  }
}

int VideoConverter::convert(const AVFrame *src, AVPixelFormat dst_fmt, AVFrame *dst, std::string &err) {
  if (src->format == dst_fmt) {
    av_frame_unref(dst);
    int r = av_frame_ref(dst, src);
    if (r < 0) {
      err = "cannot reference a picture (" + ff::av_error_string(r) + ")";
      return kErrNoMemory;
    }
    return kOk;
  }
  bool reuse = dst->buf[0] && dst->width == src->width && dst->height == src->height && dst->format == dst_fmt &&
               av_frame_is_writable(dst);
  if (!reuse) {
    av_frame_unref(dst);
    dst->format = dst_fmt;
    dst->width = src->width;
    dst->height = src->height;
    int r = av_frame_get_buffer(dst, 0);
    if (r < 0) {
      err = "cannot allocate a picture (" + ff::av_error_string(r) + ")";
      return kErrNoMemory;
    }
  }
  const auto src_fmt = static_cast<AVPixelFormat>(src->format);
  SwsContext *c = sws_getCachedContext(sws_.release(), src->width, src->height, src_fmt, src->width,
                                       src->height, dst_fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
  sws_.reset(c);
  if (!c) {
    err = "cannot convert pixel format " +
          std::string(av_get_pix_fmt_name(src_fmt) ? av_get_pix_fmt_name(src_fmt) : "?");
    return kErrFormat;
  }
  // The picture's own matrix and range (swscale assumes BT.601, limited
  // range, unless told): BT.709 video converted as BT.601 is off by up to
  // 34 levels in RGB. Out: RGBA is full range; YUV420P keeps the source's
  // matrix, in limited range, and is tagged so (the SDL output picks its
  // conversion from the tags, as ffplay does).
  const AVPixFmtDescriptor *sd = av_pix_fmt_desc_get(src_fmt);
  const bool dst_rgb = dst_fmt == AV_PIX_FMT_RGBA;
  AVColorSpace cs = AVCOL_SPC_BT470BG;
  if (sd && !(sd->flags & AV_PIX_FMT_FLAG_RGB)) {
    cs = picture_colorspace(src);
    const int *coef = sws_getCoefficients(static_cast<int>(cs));
    sws_setColorspaceDetails(c, coef, picture_full_range(src) ? 1 : 0, coef, dst_rgb ? 1 : 0, 0, 1 << 16,
                             1 << 16);
  }
  sws_scale(c, src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
  dst->colorspace = dst_rgb ? AVCOL_SPC_RGB : cs;
  dst->color_range = dst_rgb ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  return kOk;
}

} // namespace sp
