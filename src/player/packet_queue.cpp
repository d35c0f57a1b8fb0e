#include "player/packet_queue.h"

namespace sp {

PacketQueue::~PacketQueue() {
  std::lock_guard lk(mu_);
  clear_locked();
}

void PacketQueue::clear_locked() {
  for (auto &it : items_) av_packet_free(&it.pkt);
  items_.clear();
  bytes_ = 0;
  duration_ = 0;
}

void PacketQueue::put(AVPacket *pkt) {
  AVPacket *copy = av_packet_alloc();
  if (!copy) {
    av_packet_unref(pkt);
    return;
  }
  av_packet_move_ref(copy, pkt);
  {
    std::lock_guard lk(mu_);
    if (abort_) {
      av_packet_free(&copy);
      return;
    }
    bytes_ += copy->size + static_cast<int64_t>(sizeof(AVPacket));
    duration_ += copy->duration;
    items_.push_back({copy, serial_});
  }
  cv_.notify_one();
}

void PacketQueue::put_eof(int stream_index) {
  AVPacket *p = av_packet_alloc();
  if (!p) return;
  p->stream_index = stream_index;
  put(p);
  av_packet_free(&p);
}

int PacketQueue::flush() {
  int s;
  {
    std::lock_guard lk(mu_);
    clear_locked();
    s = ++serial_;
  }
  cv_.notify_all();
  return s;
}

void PacketQueue::abort() {
  {
    std::lock_guard lk(mu_);
    abort_ = true;
  }
  cv_.notify_all();
}

int PacketQueue::get(AVPacket *pkt, int *serial) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return abort_ || !items_.empty(); });
  if (abort_) return -1;
  Item it = items_.front();
  items_.pop_front();
  bytes_ -= it.pkt->size + static_cast<int64_t>(sizeof(AVPacket));
  duration_ -= it.pkt->duration;
  lk.unlock();
  av_packet_move_ref(pkt, it.pkt);
  av_packet_free(&it.pkt);
  if (serial) *serial = it.serial;
  if (taken_hook_) taken_hook_();
  return 1;
}

int PacketQueue::serial() const {
  std::lock_guard lk(mu_);
  return serial_;
}
int PacketQueue::packets() const {
  std::lock_guard lk(mu_);
  return static_cast<int>(items_.size());
}
int64_t PacketQueue::bytes() const {
  std::lock_guard lk(mu_);
  return bytes_;
}
int64_t PacketQueue::duration() const {
  std::lock_guard lk(mu_);
  return duration_;
}

} // namespace sp
