// A minimal PNG writer for the demo's screenshots: 8-bit RGB, no filter,
// deflate "stored" (uncompressed) blocks, so it needs no zlib. The files are
// valid PNGs that any viewer reads; recompress them (e.g. with ImageMagick's
// `convert`) before committing one.
#pragma once
#include <cstdint>
#include <string>

namespace demo {

// Write a w x h image whose rows are `pitch` bytes apart, each pixel 4 bytes
// in memory order R, G, B, X (SDL_PIXELFORMAT_RGBA32 / ABGR8888 on little
// endian). Returns false and fills `error` on failure.
bool write_png_rgbx(const std::string &path, int w, int h, const uint8_t *pixels, int pitch, std::string &error);

} // namespace demo
