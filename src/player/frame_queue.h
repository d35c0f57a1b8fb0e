// Decoded-picture queue between the video decoder thread and the display
// (presenter thread or sp_sdl_pump), modelled on ffplay's FrameQueue: a small
// ring of slots; the last shown picture is kept (keep_last) so it can be
// redrawn. One writer thread and one reader thread.
#pragma once
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "decode/ffmpeg_util.h"

namespace sp {

struct Picture {
  ff::FramePtr frame;      // picture in the output format (empty for video_output=none)
  double pts = NAN;        // seconds from the start of the media
  double duration = 0;     // seconds (media time)
  int64_t frame_number = -1;
  int serial = -1;
  bool uploaded = false;   // SDL: texture already holds this picture
};

class FrameQueue {
public:
  explicit FrameQueue(int max_size = 3);
  FrameQueue(const FrameQueue &) = delete;
  FrameQueue &operator=(const FrameQueue &) = delete;

  // Writer: a free slot, waiting while the queue is full; nullptr on abort.
  Picture *peek_writable();
  void push();

  // Reader (see ffplay): peek = next picture to show, peek_last = the one
  // shown now, peek_next = the one after peek.
  Picture *peek();
  Picture *peek_next();
  Picture *peek_last();
  void next();
  int remaining() const;
  bool shown() const;

  void abort();
  void wake();

private:
  std::vector<Picture> q_;
  int max_size_;
  int rindex_ = 0, windex_ = 0, size_ = 0, rindex_shown_ = 0;
  bool abort_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_;
};

} // namespace sp
