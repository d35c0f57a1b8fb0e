#include "render/video_convert.h"

#include "core/result.h"

namespace sp {

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
  SwsContext *c = sws_getCachedContext(sws_.release(), src->width, src->height, static_cast<AVPixelFormat>(src->format),
                                       src->width, src->height, dst_fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
  sws_.reset(c);
  if (!c) {
    err = "cannot convert pixel format " +
          std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(src->format)) ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(src->format)) : "?");
    return kErrFormat;
  }
  sws_scale(c, src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
  return kOk;
}

} // namespace sp
