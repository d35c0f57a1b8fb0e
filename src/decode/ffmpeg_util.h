// Small RAII wrappers and helpers for FFmpeg handles used by decode/ and
// render/. Every FFmpeg object the library allocates is owned by one of these.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace sp::ff {

struct FormatCtxDeleter {
  void operator()(AVFormatContext *c) const { avformat_close_input(&c); }
};
struct CodecCtxDeleter {
  void operator()(AVCodecContext *c) const { avcodec_free_context(&c); }
};
struct PacketDeleter {
  void operator()(AVPacket *p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame *f) const { av_frame_free(&f); }
};
struct SwsDeleter {
  void operator()(SwsContext *s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext *s) const { swr_free(&s); }
};
struct FilterGraphDeleter {
  void operator()(AVFilterGraph *g) const { avfilter_graph_free(&g); }
};
struct AvioDeleter {
  void operator()(AVIOContext *io) const {
    if (!io) return;
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
struct AvFreeDeleter {
  void operator()(void *p) const { av_free(p); }
};

using FormatCtxPtr = std::unique_ptr<AVFormatContext, FormatCtxDeleter>;
using CodecCtxPtr = std::unique_ptr<AVCodecContext, CodecCtxDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FilterGraphDeleter>;
using AvioPtr = std::unique_ptr<AVIOContext, AvioDeleter>;

inline PacketPtr make_packet() { return PacketPtr(av_packet_alloc()); }
inline FramePtr make_frame() { return FramePtr(av_frame_alloc()); }

// Text of an AVERROR code.
std::string av_error_string(int errnum);

// Interrupt callback state for blocking libavformat calls: abort on request
// or when a deadline passes. The callback is polled by FFmpeg's I/O loop.
class Interrupter {
public:
  // Arm a deadline `ms` from now (<= 0 disarms it).
  void arm(int ms);
  void disarm() { deadline_ns_.store(0, std::memory_order_relaxed); }
  void request_abort() { abort_.store(true, std::memory_order_relaxed); }
  void clear_abort() { abort_.store(false, std::memory_order_relaxed); }
  bool aborted() const { return abort_.load(std::memory_order_relaxed); }
  bool timed_out() const { return timed_out_.load(std::memory_order_relaxed); }
  AVIOInterruptCB callback() { return AVIOInterruptCB{&Interrupter::cb, this}; }

private:
  static int cb(void *self);
  std::atomic<bool> abort_{false};
  std::atomic<bool> timed_out_{false};
  std::atomic<int64_t> deadline_ns_{0};
};

} // namespace sp::ff
