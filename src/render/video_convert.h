// Picture conversion with libswscale into the format the output wants
// (RGBA32 or YUV420P), reusing the destination buffer when it fits.
#pragma once
#include <string>

#include "decode/ffmpeg_util.h"

namespace sp {

class VideoConverter {
public:
  // dst_fmt: AV_PIX_FMT_RGBA or AV_PIX_FMT_YUV420P. When the source already
  // has that format the picture is referenced, not copied.
  int convert(const AVFrame *src, AVPixelFormat dst_fmt, AVFrame *dst, std::string &err);

private:
  ff::SwsPtr sws_;
};

} // namespace sp
