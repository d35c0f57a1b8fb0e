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
  int width = 0, height = 0; // 0 for audio-only media
  bool has_audio = false;
};

} // namespace sp
