// A base for one-owner objects (an FFmpeg or SDL handle, a queue the threads
// share by pointer): neither copyable nor movable, default-constructible.
// Inherit privately: `class PacketQueue : NonCopyable`. Constants only.
#pragma once

namespace sp {

class NonCopyable {
protected:
  NonCopyable() = default;
  ~NonCopyable() = default;

public:
  NonCopyable(const NonCopyable &) = delete;
  NonCopyable &operator=(const NonCopyable &) = delete;
};

} // namespace sp
