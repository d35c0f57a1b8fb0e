// VideoConverter (src/render/video_convert.h): real libswscale, pictures
// coded with a known matrix and range turn back into the RGB they came from.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "render/video_convert.h"
#include "smartplayer.h"

using namespace sp;

namespace {

struct Rgb {
  int r, g, b;
};

// Colours that separate the matrices: BT.601 and BT.709 disagree on them by
// tens of levels.
constexpr Rgb kColours[] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {30, 200, 170}, {128, 128, 128}};
constexpr int kW = 16, kH = 96; // six bands of 16 rows

// A kW x kH YUV picture in `fmt`, coded from bands of kColours with the
// matrix `cs` and range `full`, by swscale itself; tagged as asked.
ff::FramePtr coded_picture(AVPixelFormat fmt, AVColorSpace cs, bool full, AVColorSpace tag, AVColorRange range_tag,
                           int w = kW, int h = kH) {
  ff::FramePtr rgb = ff::make_frame();
  rgb->format = AV_PIX_FMT_RGBA;
  rgb->width = w;
  rgb->height = h;
  REQUIRE(av_frame_get_buffer(rgb.get(), 0) == 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const Rgb &c = kColours[(y * 6 / h) % 6];
      uint8_t *p = rgb->data[0] + y * rgb->linesize[0] + 4 * x;
      p[0] = static_cast<uint8_t>(c.r);
      p[1] = static_cast<uint8_t>(c.g);
      p[2] = static_cast<uint8_t>(c.b);
      p[3] = 255;
    }
  ff::FramePtr yuv = ff::make_frame();
  yuv->format = fmt;
  yuv->width = w;
  yuv->height = h;
  REQUIRE(av_frame_get_buffer(yuv.get(), 0) == 0);
  SwsContext *c = sws_getContext(w, h, AV_PIX_FMT_RGBA, w, h, fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
  REQUIRE(c);
  const int *coef = sws_getCoefficients(static_cast<int>(cs));
  sws_setColorspaceDetails(c, coef, 1, coef, full ? 1 : 0, 0, 1 << 16, 1 << 16);
  sws_scale(c, rgb->data, rgb->linesize, 0, h, yuv->data, yuv->linesize);
  sws_freeContext(c);
  yuv->colorspace = tag;
  yuv->color_range = range_tag;
  return yuv;
}

// The largest difference of any channel from the colour its band was coded from.
int worst_error(const AVFrame *rgba) {
  int worst = 0;
  for (int y = 0; y < rgba->height; ++y) {
    const Rgb &c = kColours[(y * 6 / rgba->height) % 6];
    // Rows near a band's edge mix two colours through chroma subsampling
    // and swscale's filters: only each band's middle half counts.
    const int band = rgba->height / 6, in_band = y % band;
    if (in_band < band / 4 || in_band >= band - band / 4) continue;
    for (int x = 0; x < rgba->width; ++x) {
      const uint8_t *p = rgba->data[0] + y * rgba->linesize[0] + 4 * x;
      worst = std::max({worst, std::abs(p[0] - c.r), std::abs(p[1] - c.g), std::abs(p[2] - c.b)});
    }
  }
  return worst;
}

int to_rgba_error(const AVFrame *yuv) {
  VideoConverter conv;
  ff::FramePtr out = ff::make_frame();
  std::string err;
  REQUIRE(conv.convert(yuv, AV_PIX_FMT_RGBA, out.get(), err) == SP_OK);
  CHECK(out->colorspace == AVCOL_SPC_RGB);
  CHECK(out->color_range == AVCOL_RANGE_JPEG);
  return worst_error(out.get());
}

} // namespace

TEST_CASE("pictures turn into RGBA with their own matrix and range") {
  const AVPixelFormat fmts[] = {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P};
  for (AVPixelFormat fmt : fmts) {
    INFO(av_get_pix_fmt_name(fmt));
    // Tagged BT.709, limited range (HD broadcast, phones): BT.601 would be off by ~30 levels.
    CHECK(to_rgba_error(coded_picture(fmt, AVCOL_SPC_BT709, false, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG).get()) <= 4);
    // Tagged BT.601.
    CHECK(to_rgba_error(coded_picture(fmt, AVCOL_SPC_SMPTE170M, false, AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG).get()) <=
          4);
    // Full range by tag.
    CHECK(to_rgba_error(coded_picture(fmt, AVCOL_SPC_BT470BG, true, AVCOL_SPC_BT470BG, AVCOL_RANGE_JPEG).get()) <= 4);
    // Untagged and small: BT.601.
    CHECK(to_rgba_error(coded_picture(fmt, AVCOL_SPC_BT470BG, false, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED)
                            .get()) <= 4);
  }
  // Untagged HD: BT.709 (mpv's guess).
  CHECK(to_rgba_error(coded_picture(AV_PIX_FMT_YUV420P, AVCOL_SPC_BT709, false, AVCOL_SPC_UNSPECIFIED,
                                    AVCOL_RANGE_UNSPECIFIED, 1280, 720)
                          .get()) <= 4);
  // yuvj420p (MJPEG, phones' stills) is full range without a tag.
  CHECK(to_rgba_error(coded_picture(AV_PIX_FMT_YUVJ420P, AVCOL_SPC_BT470BG, true, AVCOL_SPC_UNSPECIFIED,
                                    AVCOL_RANGE_UNSPECIFIED)
                          .get()) <= 4);
  // The check can fail: a BT.709 picture tagged BT.601 comes out wrong.
  CHECK(to_rgba_error(coded_picture(AV_PIX_FMT_YUV444P, AVCOL_SPC_BT709, false, AVCOL_SPC_SMPTE170M,
                                    AVCOL_RANGE_MPEG)
                          .get()) > 15);
}

TEST_CASE("pictures turned into YUV420P for SDL keep their matrix, in limited range, and say so") {
  VideoConverter conv;
  std::string err;
  // Full-range 4:4:4 BT.709 into limited-range 4:2:0 BT.709, then back to RGBA.
  ff::FramePtr src = coded_picture(AV_PIX_FMT_YUV444P, AVCOL_SPC_BT709, true, AVCOL_SPC_BT709, AVCOL_RANGE_JPEG);
  ff::FramePtr mid = ff::make_frame();
  REQUIRE(conv.convert(src.get(), AV_PIX_FMT_YUV420P, mid.get(), err) == SP_OK);
  CHECK(mid->colorspace == AVCOL_SPC_BT709);
  CHECK(mid->color_range == AVCOL_RANGE_MPEG);
  CHECK_FALSE(picture_full_range(mid.get()));
  CHECK(to_rgba_error(mid.get()) <= 5);
  // The same format is passed through, tags and all.
  ff::FramePtr same = ff::make_frame();
  REQUIRE(conv.convert(mid.get(), AV_PIX_FMT_YUV420P, same.get(), err) == SP_OK);
  CHECK(same->data[0] == mid->data[0]);
  CHECK(same->colorspace == AVCOL_SPC_BT709);
}
