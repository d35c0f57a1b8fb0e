// Bounded-by-the-reader packet queue between the demux thread and one
// decoder thread (ffplay's PacketQueue): packets carry the queue's serial at
// the time they were queued; flush() drops everything and starts a new serial
// so a decoder can tell packets from before a seek from those after.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "decode/ffmpeg_util.h"

namespace sp {

class PacketQueue {
public:
  PacketQueue() = default;
  ~PacketQueue();
  PacketQueue(const PacketQueue &) = delete;
  PacketQueue &operator=(const PacketQueue &) = delete;

  // Takes the packet's reference (pkt is left blank). An empty packet
  // (data == nullptr, size == 0) marks end of stream: the decoder drains.
  void put(AVPacket *pkt);
  void put_eof(int stream_index);
  // Drop every packet and start a new serial; returns the new serial.
  int flush();
  void abort();
  // 1: got a packet (moved into pkt, its serial in *serial); 0: timed out /
  // empty (non-blocking); -1: aborted.
  int get(AVPacket *pkt, int *serial, int timeout_ms);

  int serial() const;
  int packets() const;
  int64_t bytes() const;
  // Sum of packet durations in stream time base units.
  int64_t duration() const;
  // Wake a waiting reader (e.g. to notice a serial change).
  void wake() { cv_.notify_all(); }

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
};

} // namespace sp
