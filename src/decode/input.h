// Opening media for demuxing: a local file, a URL, or bytes in memory (the
// fuzzer and tests use the memory form). Maps FFmpeg failures to result
// codes (core/result.h) with clear messages. Used by probe_media and by the player's demuxer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/noncopyable.h"
#include "decode/ffmpeg_util.h"
#include "decode/probe.h"

namespace sp {

// An opened demuxer plus whatever it reads from. Not thread-safe; one owner.
class MediaInput : NonCopyable {
public:
  ~MediaInput();

  // Open `url` (path or URL). timeout_ms bounds the open and stream-info
  // phase for network URLs (AVIOInterruptCB + protocol timeouts).
  int open(const std::string &url, int timeout_ms, std::string &err);
  // Open bytes held in memory (copied). `name` is used in messages only.
  int open_memory(const uint8_t *data, size_t size, const std::string &name, std::string &err);

  AVFormatContext *fmt() const { return fmt_.get(); }
  ff::Interrupter &interrupter() { return *intr_; }
  bool is_network() const { return network_; }
  const std::string &url() const { return url_; }

  // Index of the best video / audio stream, -1 if none (valid after open).
  int video_stream() const { return video_idx_; }
  int audio_stream() const { return audio_idx_; }

  // Fill the stream-level facts of `out` (no decoding).
  void describe(MediaFacts &out) const;

private:
  int finish_open(int timeout_ms, std::string &err);

  struct MemSource {
    std::vector<uint8_t> bytes;
    size_t pos = 0;
  };
  static int mem_read(void *opaque, uint8_t *buf, int size);
  static int64_t mem_seek(void *opaque, int64_t offset, int whence);

  std::unique_ptr<ff::Interrupter> intr_ = std::make_unique<ff::Interrupter>();
  std::unique_ptr<MemSource> mem_;
  ff::AvioPtr avio_;
  ff::FormatCtxPtr fmt_; // declared after avio_: closed first
  std::string url_;
  bool network_ = false;
  int video_idx_ = -1, audio_idx_ = -1;
};

// True if `url` names a network resource (has a scheme other than file:).
bool is_network_url(const std::string &url);

// Open a decoder for stream `idx` of `fmt` (threads: 0 = auto). Returns
// kOk or kErrFormat with a message.
int open_decoder(AVFormatContext *fmt, int idx, ff::CodecCtxPtr &out, std::string &err, int threads = 0);

// Probe media held in memory (same rules as probe_media). Used by the fuzzer.
int probe_media_memory(const uint8_t *data, size_t size, MediaFacts &out, std::string &err);

// Decode up to `max_frames` video frames and audio frames from an open input
// (used by the fuzzer to exercise the decoders; returns frames decoded).
int decode_some(MediaInput &in, int max_frames);

} // namespace sp
