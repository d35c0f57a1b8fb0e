// What the player tells the control plane about a new viewing session: the
// media and the viewer (the behaviour log's catalogue and session rows).
// A plain value.
#pragma once
#include <cstdint>
#include <string>

namespace sp {

struct SessionInfo {
  std::string video_id, title, genre, path, viewer_id;
  int64_t duration_ms = 0;
};

} // namespace sp
