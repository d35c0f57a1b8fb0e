#include "player/frame_queue.h"

namespace sp {

FrameQueue::FrameQueue(int max_size) : q_(static_cast<size_t>(max_size)), max_size_(max_size) {}

Picture *FrameQueue::peek_writable() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return abort_ || size_ < max_size_; });
  if (abort_) return nullptr;
  return &q_[static_cast<size_t>(windex_)];
}

void FrameQueue::push() {
  {
    std::lock_guard lk(mu_);
    if (++windex_ == max_size_) windex_ = 0;
    ++size_;
  }
  cv_.notify_all();
}

Picture *FrameQueue::peek() {
  std::lock_guard lk(mu_);
  return &q_[static_cast<size_t>((rindex_ + rindex_shown_) % max_size_)];
}
Picture *FrameQueue::peek_next() {
  std::lock_guard lk(mu_);
  return &q_[static_cast<size_t>((rindex_ + rindex_shown_ + 1) % max_size_)];
}
Picture *FrameQueue::peek_last() {
  std::lock_guard lk(mu_);
  return &q_[static_cast<size_t>(rindex_)];
}

void FrameQueue::next() {
  {
    std::lock_guard lk(mu_);
    if (!rindex_shown_) {
      rindex_shown_ = 1;
      return;
    }
    Picture &p = q_[static_cast<size_t>(rindex_)];
    // Keep the buffer allocation (reused by the writer for the same size);
    // only the metadata is reset.
    p.pts = NAN;
    p.serial = -1;
    p.uploaded = false;
    if (++rindex_ == max_size_) rindex_ = 0;
    --size_;
  }
  cv_.notify_all();
}

int FrameQueue::remaining() const {
  std::lock_guard lk(mu_);
  return size_ - rindex_shown_;
}
bool FrameQueue::shown() const {
  std::lock_guard lk(mu_);
  return rindex_shown_ != 0;
}

void FrameQueue::abort() {
  {
    std::lock_guard lk(mu_);
    abort_ = true;
  }
  cv_.notify_all();
}
void FrameQueue::wake() { cv_.notify_all(); }

} // namespace sp
