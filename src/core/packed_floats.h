// Numbers packed into text: standard base64 (RFC 4648, '=' padding) of the
// little-endian IEEE-754 bytes, float32 or float64. The hazard model stores
// its per-video and per-viewer tables this way (predict/hazard_json.cpp). Pure
// functions: any thread.
#pragma once
#include <string>
#include <vector>

namespace sp {

enum class FloatWidth { F32, F64 }; // F32 rounds each number to the nearest float

std::string pack_floats(const std::vector<double> &v, FloatWidth width);

// Inverse of pack_floats. False (out unspecified) unless `s` is well-formed
// base64 whose length is a whole number of `width` floats, every one finite.
bool unpack_floats(const std::string &s, FloatWidth width, std::vector<double> &out);

} // namespace sp
