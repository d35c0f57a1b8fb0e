// Read-only view of playback (position, pause, rate) the control thread uses
// to build decision points and map media positions to deadlines. Implemented
// by the player; every function must be callable from any thread. The control
// plane knows the player only through it.
#pragma once
#include <cstdint>

namespace sp {

class PlaybackView {
public:
  virtual ~PlaybackView() = default;
  virtual int64_t position_ms() const = 0;
  virtual bool paused() const = 0;
  virtual double rate() const = 0;
};

} // namespace sp
