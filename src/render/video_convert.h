// Picture conversion with libswscale into the format the output wants
// (RGBA32 or YUV420P), reusing the destination buffer when it fits.
#pragma once
#include <string>

#include "decode/ffmpeg_util.h"

namespace sp {

// The YUV matrix a picture is coded with: its tag, or for an untagged
// picture BT.709 when it is HD (>= 1280 wide or > 576 high) and BT.601
// otherwise (mpv's guess; SDL's automatic mode).
AVColorSpace picture_colorspace(const AVFrame *f);
// True for full-range ("JPEG") YUV: tagged so, or a yuvj pixel format.
bool picture_full_range(const AVFrame *f);

class VideoConverter {
public:
  // dst_fmt: AV_PIX_FMT_RGBA or AV_PIX_FMT_YUV420P. When the source already
  // has that format the picture is referenced, not copied. The conversion
  // follows the source's matrix and range (picture_colorspace,
  // picture_full_range); dst's colorspace and color_range say what it holds.
  int convert(const AVFrame *src, AVPixelFormat dst_fmt, AVFrame *dst, std::string &err);

private:
  ff::SwsPtr sws_;
};

} // namespace sp
