// Visual transitions of videos (scene changes, found by a detector such as
// FFmpeg's scene filter, or written by the simulator): media positions where
// viewers tend to act, used by the predictor's features (docs/model.md) and
// kept in the trained model, which the behaviour log stores (HazardModel::
// transitions()). A side file is JSON Lines, one video a line:
//   {"video":"vid0001","transitions_ms":[12000,45500,...]}
// (positions ascending, ms; docs/traces.md, "Transitions").
//
// Thread safety: plain values and reentrant functions.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace sp {

using VideoTransitions = std::map<std::string, std::vector<int64_t>>;

// Reads a side file; false with `err` ("line N: ...") on the first bad line.
// Positions are sorted and de-duplicated; a video listed twice is an error.
bool read_transitions(std::istream &in, VideoTransitions &out, std::string &err);
bool read_transitions_file(const std::string &path, VideoTransitions &out, std::string &err);
void write_transitions(std::ostream &out, const VideoTransitions &t);

} // namespace sp
