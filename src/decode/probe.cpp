// probe_media: open with libavformat, pick the streams, and require that the
// first video frame actually decodes (a truncated or corrupt file is refused
// here rather than failing later on the video thread).
#include "decode/probe.h"

#include "core/result.h"
#include "core/utf8.h"
#include "decode/input.h"

namespace sp {
namespace {

// Decode the first video frame of an opened input. Reads at most a bounded
// number of packets so a file with a broken video stream cannot stall.
int check_first_video_frame(MediaInput &in, std::string &err, int timeout_ms) {
  AVFormatContext *f = in.fmt();
  ff::CodecCtxPtr dec;
  std::string derr;
  int r = open_decoder(f, in.video_stream(), dec, derr, 1);
  if (r != kOk) {
    err = "'" + clean_text(in.url()) + "': " + derr;
    return r;
  }
  auto pkt = ff::make_packet();
  auto frame = ff::make_frame();
  if (!pkt || !frame) {
    err = "out of memory";
    return kErrNoMemory;
  }
  constexpr int kMaxPackets = 4000;
  in.interrupter().arm(in.is_network() ? timeout_ms : 0);
  bool eof = false;
  int read_err = 0;
  for (int n = 0; n < kMaxPackets && !eof; ++n) {
    int rr = av_read_frame(f, pkt.get());
    if (rr < 0) {
      if (rr != AVERROR_EOF) read_err = rr;
      eof = true;
      avcodec_send_packet(dec.get(), nullptr); // flush: delayed frames
    } else {
      if (pkt->stream_index != in.video_stream()) {
        av_packet_unref(pkt.get());
        continue;
      }
      int s = avcodec_send_packet(dec.get(), pkt.get());
      av_packet_unref(pkt.get());
      if (s < 0 && s != AVERROR(EAGAIN)) continue; // corrupt packet: try the next one
    }
    int rf = avcodec_receive_frame(dec.get(), frame.get());
    if (rf >= 0 && frame->width > 0 && frame->height > 0) {
      in.interrupter().disarm();
      return kOk;
    }
  }
  bool timed_out = in.interrupter().timed_out();
  in.interrupter().disarm();
  if (in.is_network() && (timed_out || (read_err != 0 && read_err != AVERROR_INVALIDDATA))) {
    err = "'" + clean_text(in.url()) + "': " +
          (timed_out ? "timed out after " + std::to_string(timeout_ms) + " ms"
                     : "read failed (" + ff::av_error_string(read_err) + ")") +
          " before the first video frame";
    return kErrNetwork;
  }
  err = "'" + clean_text(in.url()) +
        "': the first video frame could not be decoded (truncated or corrupt file)";
  return kErrFormat;
}

int probe_opened(MediaInput &in, MediaFacts &out, std::string &err, int timeout_ms) {
  in.describe(out);
  if (in.video_stream() < 0) {
    if (in.audio_stream() >= 0) {
      err = "'" + clean_text(in.url()) + "' has no video stream (audio only)";
      return kErrNoVideo;
    }
    err = "'" + clean_text(in.url()) + "' has no audio or video stream";
    return kErrFormat;
  }
  if (out.width <= 0 || out.height <= 0) {
    err = "'" + clean_text(in.url()) + "': video stream has no picture size (corrupt header)";
    return kErrFormat;
  }
  return check_first_video_frame(in, err, timeout_ms);
}

} // namespace

int probe_media(const std::string &url, MediaFacts &out, std::string &err, int timeout_ms) {
  out = MediaFacts{};
  err.clear();
  MediaInput in;
  int r = in.open(url, timeout_ms, err);
  if (r != kOk) return r;
  return probe_opened(in, out, err, timeout_ms);
}

int probe_media_memory(const uint8_t *data, size_t size, MediaFacts &out, std::string &err) {
  out = MediaFacts{};
  err.clear();
  MediaInput in;
  int r = in.open_memory(data, size, "memory", err);
  if (r != kOk) return r;
  return probe_opened(in, out, err, 0);
}

} // namespace sp
