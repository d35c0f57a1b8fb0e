#include "decode/input.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "core/result.h"
#include "core/utf8.h"
#include "decode/ffmpeg_log.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/display.h>
}

namespace sp {
namespace ff {

std::string av_error_string(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(errnum, buf, sizeof buf);
  return buf;
}

void Interrupter::arm(int ms) {
  timed_out_.store(false, std::memory_order_relaxed);
  if (ms <= 0) {
    deadline_ns_.store(0, std::memory_order_relaxed);
    return;
  }
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  deadline_ns_.store(ns + int64_t{ms} * 1000000, std::memory_order_relaxed);
}

int Interrupter::cb(void *opaque) {
  auto *self = static_cast<Interrupter *>(opaque);
  if (self->abort_.load(std::memory_order_relaxed)) return 1;
  int64_t dl = self->deadline_ns_.load(std::memory_order_relaxed);
  if (dl != 0) {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    if (std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() > dl) {
      self->timed_out_.store(true, std::memory_order_relaxed);
      return 1;
    }
  }
  return 0;
}

} // namespace ff

namespace {

struct DictDeleter {
  void operator()(AVDictionary *d) const { av_dict_free(&d); }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path a file: URL names. "file://" URLs are percent-encoded (RFC 8089:
// file:///home/me/a%20b.mp4, as browsers and file managers write them);
// FFmpeg's own "file:path" form is taken as it is.
std::string strip_file_scheme(const std::string &url) {
  if (url.rfind("file://", 0) == 0) {
    const std::string enc = url.substr(7);
    std::string p;
    for (size_t i = 0; i < enc.size(); ++i) {
      int hi = 0, lo = 0;
      if (enc[i] == '%' && i + 2 < enc.size() && (hi = hex_value(enc[i + 1])) >= 0 &&
          (lo = hex_value(enc[i + 2])) >= 0) {
        p += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        p += enc[i];
      }
    }
    return p;
  }
  if (url.rfind("file:", 0) == 0) return url.substr(5);
  return url;
}

bool is_http_not_found(int e) {
  return e == AVERROR_HTTP_NOT_FOUND;
}

int map_error(int e, bool network, bool timed_out, int timeout_ms, const std::string &what,
              std::string &err) {
  auto fail = [&](int code, const std::string &why) {
    err = what + ": " + why;
    return code;
  };
  if (timed_out)
    return fail(kErrNetwork, "no answer within " + std::to_string(timeout_ms) + " ms (timed out)");
  const std::string msg = " (" + ff::av_error_string(e) + ")";
  if (e == AVERROR(ENOMEM)) return fail(kErrNoMemory, "out of memory");
  if (e == AVERROR_PROTOCOL_NOT_FOUND) return fail(kErrUnsupported, "unsupported URL scheme" + msg);
  if (network) {
    if (is_http_not_found(e)) return fail(kErrNotFound, "server says not found" + msg);
    // The server answered: it refused (permission, as a local file's EACCES)
    // or failed; the connection itself was fine.
    if (e == AVERROR_HTTP_FORBIDDEN || e == AVERROR_HTTP_UNAUTHORIZED)
      return fail(kErrIo, "the server refused access" + msg);
    if (e == AVERROR_HTTP_SERVER_ERROR) return fail(kErrNetwork, "the server failed" + msg);
    if (e == AVERROR_HTTP_BAD_REQUEST || e == AVERROR_HTTP_OTHER_4XX)
      return fail(kErrNetwork, "the server refused the request" + msg);
    if (e == AVERROR_INVALIDDATA || e == AVERROR_DECODER_NOT_FOUND || e == AVERROR_DEMUXER_NOT_FOUND)
      return fail(kErrFormat, "not a supported media stream" + msg);
    return fail(kErrNetwork, "connection failed" + msg);
  }
  if (e == AVERROR(ENOENT)) return fail(kErrNotFound, "no such file");
  if (e == AVERROR(EACCES) || e == AVERROR(EPERM) || e == AVERROR(EISDIR) || e == AVERROR(EIO))
    return fail(kErrIo, "cannot read" + msg);
  return fail(kErrFormat, "not a media file or truncated/corrupt" + msg);
}

bool is_attached_pic(const AVStream *st) {
  return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

} // namespace

bool is_network_url(const std::string &url) {
  auto pos = url.find("://");
  if (pos == std::string::npos || pos == 0) return false;
  for (size_t i = 0; i < pos; ++i) {
    char c = url[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  std::string scheme = url.substr(0, pos);
  return scheme != "file";
}

MediaInput::~MediaInput() {
  // Close the demuxer before freeing the custom AVIO it reads from.
  fmt_.reset();
  avio_.reset();
}

int MediaInput::open(const std::string &url, int timeout_ms, std::string &err) {
  url_ = url;
  network_ = is_network_url(url);
  if (url.empty()) {
    err = "empty path";
    return kErrNotFound;
  }
  if (!network_) {
    std::string path = strip_file_scheme(url);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR) {
        err = "'" + clean_text(path) + "': no such file";
        return kErrNotFound;
      }
      err =
          "'" + clean_text(path) + "': " + std::generic_category().message(e); // strerror is not thread-safe
      return kErrIo;
    }
    if (S_ISDIR(st.st_mode)) {
      err = "'" + clean_text(path) + "' is a directory, not a media file";
      return kErrIo;
    }
    if (::access(path.c_str(), R_OK) != 0) {
      err = "'" + clean_text(path) + "': permission denied";
      return kErrIo;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
      err = "'" + clean_text(path) + "' is empty (0 bytes), not a media file";
      return kErrFormat;
    }
  }

  AVFormatContext *raw = avformat_alloc_context();
  if (!raw) {
    err = "out of memory";
    return kErrNoMemory;
  }
  tag_log_context(raw);
  raw->interrupt_callback = intr_->callback();
  AVDictionary *opts = nullptr;
  if (network_ && timeout_ms > 0) {
    std::string us = std::to_string(int64_t{timeout_ms} * 1000);
    av_dict_set(&opts, "timeout", us.c_str(), 0);
    av_dict_set(&opts, "rw_timeout", us.c_str(), 0);
    // A connection that drops mid-stream is reopened where it broke (HTTP
    // with range requests; FFmpeg's http protocol), as mpv does, waiting at
    // most the network timeout between attempts; the interrupt callback
    // still ends the waits at once on close.
    av_dict_set(&opts, "reconnect", "1", 0);
    av_dict_set(&opts, "reconnect_delay_max", std::to_string(std::max(1, timeout_ms / 1000)).c_str(), 0);
  }
  std::unique_ptr<AVDictionary, DictDeleter> opts_owner;
  intr_->arm(network_ ? timeout_ms : 0);
  // A file: URL is opened by its path (decoded), through FFmpeg's file
  // protocol, so that a ':' in a name is not read as a protocol.
  const std::string target = !network_ && url.rfind("file:", 0) == 0 ? "file:" + strip_file_scheme(url) : url;
  int r = avformat_open_input(&raw, target.c_str(), nullptr, &opts);
  opts_owner.reset(opts);
  if (r < 0) {
    // avformat_open_input frees the context on failure.
    bool to = intr_->timed_out() || (network_ && r == AVERROR(ETIMEDOUT));
    intr_->disarm();
    return map_error(r, network_, to, timeout_ms, "'" + clean_text(url) + "'", err);
  }
  fmt_.reset(raw);
  return finish_open(timeout_ms, err);
}

int MediaInput::mem_read(void *opaque, uint8_t *buf, int size) {
  auto *m = static_cast<MemSource *>(opaque);
  if (m->pos >= m->bytes.size()) return AVERROR_EOF;
  size_t n = std::min(static_cast<size_t>(size), m->bytes.size() - m->pos);
  std::memcpy(buf, m->bytes.data() + m->pos, n);
  m->pos += n;
  return static_cast<int>(n);
}

int64_t MediaInput::mem_seek(void *opaque, int64_t offset, int whence) {
  auto *m = static_cast<MemSource *>(opaque);
  int64_t size = static_cast<int64_t>(m->bytes.size());
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return size;
  int64_t base = 0;
  if (whence == SEEK_CUR)
    base = static_cast<int64_t>(m->pos);
  else if (whence == SEEK_END)
    base = size;
  else if (whence != SEEK_SET)
    return AVERROR(EINVAL);
  int64_t np = base + offset;
  if (np < 0 || np > size) return AVERROR(EINVAL);
  m->pos = static_cast<size_t>(np);
  return np;
}

int MediaInput::open_memory(const uint8_t *data, size_t size, const std::string &name, std::string &err) {
  url_ = name;
  network_ = false;
  if (size == 0) {
    err = "'" + name + "' is empty (0 bytes), not a media file";
    return kErrFormat;
  }
  mem_ = std::make_unique<MemSource>();
  mem_->bytes.assign(data, data + size);
  constexpr int kBuf = 32768;
  auto *buf = static_cast<uint8_t *>(av_malloc(kBuf));
  if (!buf) {
    err = "out of memory";
    return kErrNoMemory;
  }
  AVIOContext *io =
      avio_alloc_context(buf, kBuf, 0, mem_.get(), &MediaInput::mem_read, nullptr, &MediaInput::mem_seek);
  if (!io) {
    av_free(buf);
    err = "out of memory";
    return kErrNoMemory;
  }
  avio_.reset(io);
  AVFormatContext *raw = avformat_alloc_context();
  if (!raw) {
    err = "out of memory";
    return kErrNoMemory;
  }
  tag_log_context(raw);
  raw->pb = avio_.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->interrupt_callback = intr_->callback();
  int r = avformat_open_input(&raw, nullptr, nullptr, nullptr);
  if (r < 0) return map_error(r, false, false, 0, "'" + name + "'", err);
  fmt_.reset(raw);
  return finish_open(0, err);
}

int MediaInput::finish_open(int timeout_ms, std::string &err) {
  AVFormatContext *f = fmt_.get();
  const std::string what = "'" + clean_text(url_) + "'";
  if (f->iformat && f->iformat->name && std::strcmp(f->iformat->name, "tty") == 0) {
    err = what + ": a text file, not a media file";
    return kErrFormat;
  }
  int r = avformat_find_stream_info(f, nullptr);
  bool to = intr_->timed_out();
  intr_->disarm();
  if (r < 0) return map_error(r, network_, to, timeout_ms, what, err);

  int v = av_find_best_stream(f, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v >= 0 && is_attached_pic(f->streams[v])) {
    v = -1;
    for (unsigned i = 0; i < f->nb_streams; ++i)
      if (f->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !is_attached_pic(f->streams[i])) {
        v = static_cast<int>(i);
        break;
      }
  }
  video_idx_ = v >= 0 ? v : -1;
  int a = av_find_best_stream(f, AVMEDIA_TYPE_AUDIO, -1, video_idx_, nullptr, 0);
  audio_idx_ = a >= 0 ? a : -1;
  return kOk;
}

void MediaInput::describe(MediaFacts &out) const {
  out = MediaFacts{};
  AVFormatContext *f = fmt_.get();
  if (!f) return;
  out.container = f->iformat && f->iformat->name ? f->iformat->name : "";
  if (f->duration != AV_NOPTS_VALUE && f->duration > 0) out.duration_ms = f->duration / 1000;
  if (video_idx_ >= 0) {
    AVStream *st = f->streams[video_idx_];
    out.has_video = true;
    out.width = st->codecpar->width;
    out.height = st->codecpar->height;
    AVRational fr = av_guess_frame_rate(f, st, nullptr);
    out.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0.0;
    out.video_codec = avcodec_get_name(st->codecpar->codec_id);
    // As ffplay's get_rotation: the display matrix's angle is
    // counter-clockwise; a quarter turn is what can be shown.
    if (const auto *m = reinterpret_cast<const int32_t *>(
            av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr))) {
      const double theta = -av_display_rotation_get(m);
      if (std::isfinite(theta)) {
        const long q = std::lround(theta / 90.0);
        out.rotation = static_cast<int>(((q % 4) + 4) % 4) * 90;
      }
    }
    if (out.duration_ms <= 0 && st->duration != AV_NOPTS_VALUE && st->duration > 0)
      out.duration_ms = av_rescale_q(st->duration, st->time_base, AVRational{1, 1000});
  }
  if (audio_idx_ >= 0) {
    AVStream *st = f->streams[audio_idx_];
    out.has_audio = true;
    out.audio_sample_rate = st->codecpar->sample_rate;
    out.audio_channels = st->codecpar->ch_layout.nb_channels;
    out.audio_codec = avcodec_get_name(st->codecpar->codec_id);
  }
  if (out.duration_ms < 0) out.duration_ms = 0;
}

int open_decoder(AVFormatContext *fmt, int idx, ff::CodecCtxPtr &out, std::string &err, int threads) {
  if (!fmt || idx < 0 || idx >= static_cast<int>(fmt->nb_streams)) {
    err = "no such stream";
    return kErrFormat;
  }
  AVStream *st = fmt->streams[idx];
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) {
    err = std::string("unsupported codec '") + avcodec_get_name(st->codecpar->codec_id) + "' (no decoder)";
    return kErrFormat;
  }
  ff::CodecCtxPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) {
    err = "out of memory";
    return kErrNoMemory;
  }
  tag_log_context(ctx.get());
  int r = avcodec_parameters_to_context(ctx.get(), st->codecpar);
  if (r < 0) {
    err = "bad codec parameters (" + ff::av_error_string(r) + ")";
    return kErrFormat;
  }
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = threads;
  r = avcodec_open2(ctx.get(), codec, nullptr);
  if (r < 0) {
    err = std::string("cannot open the ") + codec->name + " decoder (" + ff::av_error_string(r) + ")";
    return kErrFormat;
  }
  out = std::move(ctx);
  return kOk;
}

int decode_some(MediaInput &in, int max_frames) {
  AVFormatContext *f = in.fmt();
  if (!f) return 0;
  std::string err;
  ff::CodecCtxPtr vdec, adec;
  if (in.video_stream() >= 0 && open_decoder(f, in.video_stream(), vdec, err, 1) != kOk) vdec.reset();
  if (in.audio_stream() >= 0 && open_decoder(f, in.audio_stream(), adec, err, 1) != kOk) adec.reset();
  if (!vdec && !adec) return 0;
  auto pkt = ff::make_packet();
  auto frame = ff::make_frame();
  int frames = 0;
  int packets = 0;
  auto drain = [&](AVCodecContext *c) {
    while (avcodec_receive_frame(c, frame.get()) >= 0) {
      ++frames;
      av_frame_unref(frame.get());
    }
  };
  while (frames < max_frames && packets < 4 * max_frames + 64) {
    int r = av_read_frame(f, pkt.get());
    if (r < 0) break;
    ++packets;
    AVCodecContext *c = nullptr;
    if (vdec && pkt->stream_index == in.video_stream())
      c = vdec.get();
    else if (adec && pkt->stream_index == in.audio_stream())
      c = adec.get();
    if (c && avcodec_send_packet(c, pkt.get()) >= 0) drain(c);
    av_packet_unref(pkt.get());
  }
  for (AVCodecContext *c : {vdec.get(), adec.get()}) {
    if (!c) continue;
    avcodec_send_packet(c, nullptr);
    drain(c);
  }
  return frames;
}

} // namespace sp
