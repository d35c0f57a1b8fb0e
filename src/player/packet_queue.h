// Bounded-by-the-reader packet queue between the demux thread and one
// decoder thread (ffplay's PacketQueue): packets carry the queue's serial at
// the time they were queued; flush() drops everything and starts a new serial
// so a decoder can tell packets from before a seek from those after.
//
// The reader blocks until there is a packet (or abort), with no timeout. The
// writer decides itself when the queue is full and sleeps until the reader
// has drained it below a low-water mark: the reader calls the taken-hook after
// every packet, and the hook wakes the writer when it is due (see Engine).
//
// Thread safety: every method may be called from any thread; the hook is set
// before the threads start and is called without the queue's lock held.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "core/noncopyable.h"
#include "decode/ffmpeg_util.h"

namespace sp {

class PacketQueue : NonCopyable {
public:
  ~PacketQueue();

  // Takes the packet's reference (pkt is left blank). An empty packet
  // (data == nullptr, size == 0) marks end of stream: the decoder drains.
  void put(AVPacket *pkt);
  void put_eof(int stream_index);
  // Drop every packet and start a new serial; returns the new serial.
  int flush();
  void abort();
  // Wait for a packet: 1 (moved into pkt, its serial in *serial) or -1
  // when aborted. Blocks with no timeout.
  int get(AVPacket *pkt, int *serial);
  // Called (on the reader's thread, without the lock) after get() took a packet.
  void set_taken_hook(std::function<void()> hook) { taken_hook_ = std::move(hook); }

  int serial() const;
  int packets() const;
  int64_t bytes() const;
  // Sum of packet durations in stream time base units.
  int64_t duration() const;
private:
  struct Item {
    AVPacket *pkt;
    int serial;
  };
  void clear_locked();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  int64_t bytes_ = 0, duration_ = 0;
  int serial_ = 0;
  bool abort_ = false;
  std::function<void()> taken_hook_;
};

} // namespace sp
