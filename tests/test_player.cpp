// The player through the public C API: real decoding of clips made with
// ffmpeg (frame numbers burned into the picture), seeks checked to the frame,
// pause/step/rate/volume/mute, end of file, and the bad-input paths.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "log/behaviour_log.h"
#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

struct FrameSeen {
  int64_t pts_ms;
  int64_t frame_number;
  int64_t burned;   // index read back from the picture
  int64_t audio_ms; // host audio consumed when the frame was shown (sync test)
};

// A host that renders itself: collects frames and events.
struct Host {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<FrameSeen> frames;
  std::vector<sp_event> events; // message pointers are not kept
  std::vector<std::string> messages;
  std::atomic<int64_t> *audio_pulled = nullptr;

  static void on_frame(const sp_video_frame *f, void *user) {
    auto *h = static_cast<Host *>(user);
    int64_t burned = f->format == SP_PIXEL_RGBA32
                         ? frame_index_from_rgba(f->data[0], f->width, f->height, f->linesize[0])
                         : -1;
    std::lock_guard lk(h->mu);
    h->frames.push_back({f->pts_ms, f->frame_number, burned, h->audio_pulled ? h->audio_pulled->load() : -1});
    h->cv.notify_all();
  }
  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<Host *>(user);
    std::lock_guard lk(h->mu);
    h->events.push_back(*ev);
    h->messages.emplace_back(ev->message);
    h->cv.notify_all();
  }
  template <class Pred> bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, [&] { return pred(); });
  }
  size_t frame_count() {
    std::lock_guard lk(mu);
    return frames.size();
  }
  FrameSeen last_frame() {
    std::lock_guard lk(mu);
    return frames.back();
  }
  bool has_event(int type) {
    for (auto &e : events)
      if (e.type == type) return true;
    return false;
  }
};

struct PlayerFixture {
  sp_player *p = nullptr;
  Host host;
  using Opts = std::vector<std::pair<std::string, std::string>>;
  explicit PlayerFixture(const Opts &opts = Opts{}) {
    sp_config *cfg = sp_config_create();
    REQUIRE(cfg);
    REQUIRE(sp_config_set(cfg, "video_output", "callback") == SP_OK);
    REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
    for (auto &[k, v] : opts)
      REQUIRE(sp_config_set(cfg, k.c_str(), v.c_str()) == SP_OK);
    REQUIRE(sp_player_create(cfg, &p) == SP_OK);
    sp_config_destroy(cfg);
    REQUIRE(sp_set_video_callback(p, &Host::on_frame, SP_PIXEL_RGBA32, &host) == SP_OK);
    REQUIRE(sp_set_event_callback(p, &Host::on_event, &host) == SP_OK);
  }
  ~PlayerFixture() { sp_player_destroy(p); }
  int64_t position() {
    int64_t v = -1;
    sp_get_position_ms(p, &v);
    return v;
  }
  int state() {
    int s = -1;
    sp_get_state(p, &s);
    return s;
  }
  // Wait until a frame whose pts is `pts_ms` (± 1 ms) has been delivered.
  bool wait_frame_at(int64_t pts_ms) {
    return host.wait([&] {
      for (auto it = host.frames.rbegin(); it != host.frames.rend(); ++it)
        if (std::llabs(it->pts_ms - pts_ms) <= 1) return true;
      return false;
    });
  }
};

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

} // namespace

TEST_CASE("open shows the first frame, paused, with the media facts") {
  ClipSpec spec;
  spec.seconds = 3;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  CHECK(f.state() == SP_STATE_PAUSED);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty(); }));
  auto first = f.host.last_frame();
  CHECK(first.pts_ms == 0);
  CHECK(first.burned == 0);
  sp_media_info info{};
  info.struct_size = sizeof info;
  REQUIRE(sp_get_media_info(f.p, &info) == SP_OK);
  CHECK(info.width == 320);
  CHECK(info.height == 240);
  CHECK(info.fps == Approx(25.0));
  CHECK(info.has_audio == 1);
  CHECK(std::string(info.video_codec) == "h264");
  int64_t dur = 0;
  REQUIRE(sp_get_duration_ms(f.p, &dur) == SP_OK);
  CHECK(dur >= 2900);
  CHECK(dur <= 3200);
}

TEST_CASE("playing to the end delivers every frame in order, then END_OF_FILE") {
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  // The clip has exactly seconds * fps frames (ffprobe counts them by decoding).
  const int64_t n_frames = spec.seconds * spec.fps;
  int status = -1;
  std::string counted = run_capture("ffprobe -v error -select_streams v:0 -count_frames -show_entries "
                                    "stream=nb_read_frames -of csv=p=0 '" +
                                        clip + "'",
                                    &status);
  REQUIRE(status == 0);
  REQUIRE(std::stoll(counted) == n_frames);
  // framedrop=0: no frame is skipped for being late (a loaded machine or a
  // sanitizer build makes frames late), so every frame must reach the host.
  PlayerFixture f(PlayerFixture::Opts{{"framedrop", "0"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_set_rate(f.p, 2.0) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  CHECK(f.state() == SP_STATE_PLAYING);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  CHECK(f.state() == SP_STATE_ENDED);
  std::lock_guard lk(f.host.mu);
  CHECK_FALSE(f.host.has_event(SP_EVENT_ERROR)); // a whole file ends without one
  // Frame i (burned-in number, stream index, timestamp) is the i-th frame the
  // host got: all of them, in order, none twice.
  REQUIRE(static_cast<int64_t>(f.host.frames.size()) == n_frames);
  for (int64_t i = 0; i < n_frames; ++i) {
    INFO("frame " << i);
    const FrameSeen &fr = f.host.frames[static_cast<size_t>(i)];
    CHECK(fr.burned == i);
    CHECK(fr.frame_number == i);
    CHECK(fr.pts_ms == i * 1000 / spec.fps);
  }
}

TEST_CASE("framedrop takes 0 or 1") {
  sp_config *cfg = sp_config_create();
  REQUIRE(cfg);
  CHECK(sp_config_set(cfg, "framedrop", "0") == SP_OK);
  CHECK(sp_config_set(cfg, "framedrop", "1") == SP_OK);
  CHECK(sp_config_set(cfg, "framedrop", "yes") == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)).find("framedrop") != std::string::npos);
  sp_config_destroy(cfg);
}

TEST_CASE("accurate seek lands on the frame at or before the target") {
  ClipSpec spec;
  spec.seconds = 4;
  spec.gop = 25;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  for (int64_t target : {2000, 1234, 3960, 40, 2999}) {
    INFO("target " << target);
    REQUIRE(sp_seek(f.p, target, SP_SEEK_ABSOLUTE | SP_SEEK_ACCURATE) == SP_OK);
    int64_t expect = target / 40; // frame at or before
    REQUIRE(f.host.wait([&] {
      return f.host.has_event(SP_EVENT_SEEK_DONE) && !f.host.frames.empty() &&
             f.host.frames.back().burned == expect;
    }));
    CHECK(f.host.last_frame().pts_ms == expect * 40);
    CHECK(f.position() == expect * 40);
    std::lock_guard lk(f.host.mu);
    f.host.events.clear();
  }
}

TEST_CASE("keyframe seek lands on the keyframe at or before the target") {
  ClipSpec spec;
  spec.seconds = 4;
  spec.gop = 25;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_seek(f.p, 2600, SP_SEEK_KEYFRAME) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_SEEK_DONE); }));
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty() && f.host.frames.back().burned == 50; }));
}

TEST_CASE("seeks in MPEG-TS and MPEG-PS land at or before the target too") {
  // These formats have no keyframe index: FFmpeg lands on a timestamp before
  // the target that is not a keyframe, and decoding starts at the keyframe
  // after it, a GOP late, unless the player seeks again from further back.
  for (const char *container : {"ts", "mpg"}) {
    INFO(container);
    ClipSpec spec;
    spec.seconds = 8;
    spec.gop = 50; // a keyframe every 2 s
    spec.container = container;
    if (std::string(container) == "mpg") {
      spec.vcodec = "mpeg2video";
      spec.audio = false; // (the MPEG-PS muxer takes no AAC)
    }
    std::string clip = make_clip(spec);
    PlayerFixture f;
    REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
    REQUIRE(f.host.wait([&] { return !f.host.frames.empty(); }));
    const int64_t offset = f.host.last_frame().pts_ms; // frame 0's time: the audio may start first
    REQUIRE(f.host.last_frame().burned == 0);
    auto seek_and_wait = [&](int64_t target, int flags) {
      {
        std::lock_guard lk(f.host.mu);
        f.host.events.clear();
      }
      REQUIRE(sp_seek(f.p, target, flags) == SP_OK);
      REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_SEEK_DONE); }));
      std::this_thread::sleep_for(100ms); // paused: the seek's picture is the last one
      return f.host.last_frame();
    };
    for (int64_t target : {3330, 1234, 6999, 5000}) {
      INFO("accurate seek to " << target);
      FrameSeen got = seek_and_wait(target, SP_SEEK_ABSOLUTE | SP_SEEK_ACCURATE);
      CHECK(got.burned == (target - offset) / 40);
      CHECK(got.pts_ms <= target);
      CHECK(target < got.pts_ms + 40);
    }
    INFO("keyframe seek to 5500");
    FrameSeen got = seek_and_wait(5500, SP_SEEK_KEYFRAME);
    CHECK(got.burned == 100); // the keyframe at 4 s, not the one at 6 s
  }
}

TEST_CASE("relative seeks, clamping, and seeking after the end") {
  ClipSpec spec;
  spec.seconds = 3;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_seek(f.p, 1000, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(f.wait_frame_at(1000));
  REQUIRE(sp_seek(f.p, 520, SP_SEEK_RELATIVE) == SP_OK);
  REQUIRE(f.wait_frame_at(1520));
  REQUIRE(sp_seek(f.p, -10000, SP_SEEK_RELATIVE) == SP_OK); // clamped to 0
  REQUIRE(f.wait_frame_at(0));
  REQUIRE(sp_seek(f.p, 2800, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(f.wait_frame_at(2800));
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }));
  CHECK(f.state() == SP_STATE_ENDED);
  // After the end a seek shows that frame and play resumes from it.
  REQUIRE(sp_seek(f.p, 400, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(f.wait_frame_at(400));
  CHECK(f.state() == SP_STATE_PAUSED);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.wait_frame_at(800));
  CHECK(sp_seek(f.p, 0, 0x40) == SP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("relative seeks by INT64_MAX and INT64_MIN saturate: the end and 0, logged as such") {
  ClipSpec spec;
  spec.seconds = 3;
  std::string clip = make_clip(spec);
  TempDir dir;
  const std::string db = dir.file("seek.db");
  int64_t dur = 0;
  {
    PlayerFixture f({{"db", db}, {"policy", "always-on"}, {"online_learning", "0"}});
    REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
    REQUIRE(sp_get_duration_ms(f.p, &dur) == SP_OK);
    REQUIRE(sp_seek(f.p, 1500, SP_SEEK_ABSOLUTE) == SP_OK);
    REQUIRE(f.wait_frame_at(1480));
    // From 1.5 s, +INT64_MAX: position + offset overflowed to a negative
    // target (and so to 0); it saturates and is clamped to the end.
    REQUIRE(sp_seek(f.p, INT64_MAX, SP_SEEK_RELATIVE) == SP_OK);
    REQUIRE(f.host.wait([&] { return !f.host.frames.empty() && f.host.frames.back().burned == 74; }));
    CHECK(f.position() >= 2960);
    REQUIRE(sp_seek(f.p, INT64_MIN, SP_SEEK_RELATIVE) == SP_OK);
    REQUIRE(f.wait_frame_at(0));
    CHECK(f.position() == 0);
    REQUIRE(sp_seek(f.p, INT64_MAX, SP_SEEK_ABSOLUTE | SP_SEEK_KEYFRAME) == SP_OK);
    REQUIRE(f.host.wait([&] { return f.host.frames.back().burned >= 50; })); // the last keyframe, 2 s
    REQUIRE(sp_seek(f.p, INT64_MIN, SP_SEEK_ABSOLUTE) == SP_OK);
    REQUIRE(f.wait_frame_at(0));
    REQUIRE(sp_stop(f.p) == SP_OK);
  }
  std::unique_ptr<sp::BehaviourLog> log;
  std::string err;
  sp::LogOptions lo;
  lo.read_only = true;
  REQUIRE(sp::BehaviourLog::open(db, lo, log, err) == SP_OK);
  std::vector<sp::TraceSession> sessions;
  REQUIRE(log->read_traces(sessions, err) == SP_OK);
  REQUIRE(sessions.size() == 1);
  std::vector<std::pair<int64_t, int64_t>> seeks; // from, to
  for (const auto &e : sessions[0].events)
    if (e.kind == sp::Kind::Seek) seeks.emplace_back(*e.from_ms, *e.to_ms);
  REQUIRE(seeks.size() == 5);
  CHECK(seeks[1].second == dur); // the end, not 0
  CHECK(seeks[2].second == 0);
  CHECK(seeks[3].second == dur);
  CHECK(seeks[4].second == 0);
}

TEST_CASE("host numbers at their limits: huge timeout_s is refused, a huge w/h is 'for ever'") {
  sp_config *cfg = sp_config_create();
  REQUIRE(cfg);
  CHECK(sp_config_set(cfg, "timeout_s", "1e300") == SP_ERR_INVALID_ARGUMENT); // was accepted, then cast (UB)
  CHECK(sp_config_set(cfg, "timeout_s", "1e9") == SP_OK);
  sp_config_destroy(cfg);

  // w/h = 1e11 s: the fixed timeout's deadline (now + tau) overflowed
  // nanoseconds (UBSan: signed integer overflow); it is capped at kForeverMs.
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  PlayerFixture f({{"policy", "fixed-timeout"}, {"cost", "0.000001,100000,60"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(sp_pause(f.p) == SP_OK);
  REQUIRE(sp_seek(f.p, 500, SP_SEEK_RELATIVE) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_SEEK_DONE); }));
  int state = -1;
  int64_t wakes_in = 0;
  REQUIRE(sp_get_control_state(f.p, &state, &wakes_in) == SP_OK);
  CHECK(state == SP_CONTROL_AWAKE); // a timeout of ~3000 years has not run out
}

TEST_CASE("callback frames say their colour matrix and range") {
  TempDir dir;
  struct Case {
    const char *name, *args;
    int format, matrix, full;
  };
  const Case cases[] = {
      {"bt709.mp4", "-vf format=yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:v libx264",
       SP_PIXEL_YUV420P, SP_COLOR_BT709, 0},
      {"bt601.mp4", "-vf format=yuv420p -colorspace smpte170m -c:v libx264", SP_PIXEL_YUV420P, SP_COLOR_BT601, 0},
      {"untagged-hd.mp4", "-vf scale=1280:720,format=yuv420p -c:v libx264", SP_PIXEL_YUV420P, SP_COLOR_BT709, 0},
      // yuvj420p is converted to YUV420P, and so to limited range.
      {"mjpeg.avi", "-vf format=yuvj420p -c:v mjpeg", SP_PIXEL_YUV420P, SP_COLOR_BT601, 0},
      // Full range tagged on yuv420p passes through as it is.
      // (VP9's decoder gives yuv420p tagged full; H.264's and HEVC's give yuvj420p.)
      {"full.webm", "-vf scale=out_range=full,format=yuv420p -color_range pc -colorspace bt709 -c:v libvpx-vp9",
       SP_PIXEL_YUV420P, SP_COLOR_BT709, 1},
      {"rgba.mp4", "-vf format=yuv420p -colorspace bt709 -c:v libx264", SP_PIXEL_RGBA32, SP_COLOR_RGB, 1},
  };
  for (const Case &c : cases) {
    INFO(c.name);
    const std::string clip = dir.file(c.name);
    REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=0.4 " +
                std::string(c.args) + " '" + clip + "'") == 0);
    struct Seen {
      std::mutex mu;
      std::condition_variable cv;
      bool got = false;
      sp_video_frame f{};
    } seen;
    sp_config *cfg = sp_config_create();
    REQUIRE(sp_config_set(cfg, "video_output", "callback") == SP_OK);
    REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
    sp_player *p = nullptr;
    REQUIRE(sp_player_create(cfg, &p) == SP_OK);
    sp_config_destroy(cfg);
    auto on_frame = [](const sp_video_frame *f, void *user) {
      auto *s = static_cast<Seen *>(user);
      std::lock_guard lk(s->mu);
      REQUIRE(SP_HAS_FIELD(f, sp_video_frame, full_range));
      s->f = *f;
      s->got = true;
      s->cv.notify_all();
    };
    REQUIRE(sp_set_video_callback(p, on_frame, c.format, &seen) == SP_OK);
    REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
    {
      std::unique_lock lk(seen.mu);
      REQUIRE(seen.cv.wait_for(lk, 10s, [&] { return seen.got; }));
      CHECK(seen.f.format == c.format);
      CHECK(seen.f.color_matrix == c.matrix);
      CHECK(seen.f.full_range == c.full);
    }
    sp_player_destroy(p);
  }
}

TEST_CASE("pause holds the picture; step advances exactly one frame") {
  ClipSpec spec;
  spec.seconds = 3;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty() && f.host.frames.back().burned >= 5; }));
  REQUIRE(sp_pause(f.p) == SP_OK);
  CHECK(f.state() == SP_STATE_PAUSED);
  std::this_thread::sleep_for(100ms); // let a frame already due be shown
  int64_t held = f.host.last_frame().burned;
  int64_t pos = f.position();
  std::this_thread::sleep_for(300ms);
  CHECK(f.host.last_frame().burned == held);
  CHECK(f.position() == pos);
  REQUIRE(sp_step(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.frames.back().burned == held + 1; }));
  REQUIRE(sp_step(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.frames.back().burned == held + 2; }));
  CHECK(f.state() == SP_STATE_PAUSED);
  // Three steps in a row, faster than frames are shown: three frames, each once.
  const size_t before = f.host.frame_count();
  for (int i = 0; i < 3; ++i)
    REQUIRE(sp_step(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.frames.back().burned == held + 5; }));
  std::this_thread::sleep_for(300ms); // and no more
  {
    std::lock_guard lk(f.host.mu);
    CHECK(f.host.frames.back().burned == held + 5);
    REQUIRE(f.host.frames.size() >= before + 3);
    for (size_t i = 0; i < 3; ++i)
      CHECK(f.host.frames[before + i].burned == held + 3 + static_cast<int64_t>(i));
  }
  held += 3;
  REQUIRE(sp_toggle_pause(f.p) == SP_OK);
  CHECK(f.state() == SP_STATE_PLAYING);
  REQUIRE(f.host.wait([&] { return f.host.frames.back().burned >= held + 5; }));
}

TEST_CASE("rate, volume and mute are validated and reported") {
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  PlayerFixture f;
  // Before open: control calls are refused with a clear message.
  CHECK(sp_set_rate(f.p, 1.5) == SP_ERR_INVALID_STATE);
  CHECK(std::string(sp_player_last_error(f.p)).find("no media") != std::string::npos);
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  double rate = 0;
  CHECK(sp_set_rate(f.p, 0.4) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_set_rate(f.p, 2.01) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_set_rate(f.p, NAN) == SP_ERR_INVALID_ARGUMENT);
  REQUIRE(sp_get_rate(f.p, &rate) == SP_OK);
  CHECK(rate == 1.0);
  REQUIRE(sp_set_rate(f.p, 0.5) == SP_OK);
  REQUIRE(sp_get_rate(f.p, &rate) == SP_OK);
  CHECK(rate == 0.5);
  int vol = -1, mute = -1;
  CHECK(sp_set_volume(f.p, 101) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_set_volume(f.p, -1) == SP_ERR_INVALID_ARGUMENT);
  REQUIRE(sp_set_volume(f.p, 35) == SP_OK);
  REQUIRE(sp_get_volume(f.p, &vol) == SP_OK);
  CHECK(vol == 35);
  REQUIRE(sp_set_mute(f.p, 1) == SP_OK);
  REQUIRE(sp_get_mute(f.p, &mute) == SP_OK);
  CHECK(mute == 1);
  CHECK(sp_skip(f.p, 2) == SP_ERR_INVALID_ARGUMENT);
  REQUIRE(sp_skip(f.p, 1) == SP_OK);
  REQUIRE(sp_stop(f.p) == SP_OK);
  CHECK(f.state() == SP_STATE_STOPPED);
  CHECK(sp_play(f.p) == SP_ERR_INVALID_STATE);
}

TEST_CASE("host-pulled audio: sine at the right level, volume and mute applied") {
  ClipSpec spec;
  spec.seconds = 3;
  std::string clip = make_clip(spec);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}, {"audio_rate", "48000"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  std::vector<int16_t> buf(2 * 480);
  auto pull_peak = [&](int blocks) {
    int peak = 0;
    for (int i = 0; i < blocks; ++i) {
      int n = sp_audio_read(f.p, buf.data(), 480);
      REQUIRE(n == 480);
      for (int16_t s : buf)
        peak = std::max(peak, std::abs(static_cast<int>(s)));
      std::this_thread::sleep_for(10ms);
    }
    return peak;
  };
  int loud = pull_peak(40);
  CHECK(loud > 1000); // ffmpeg's sine source is at 1/8 full scale
  REQUIRE(sp_set_volume(f.p, 25) == SP_OK);
  pull_peak(5); // let the block already copied go
  int quiet = pull_peak(20);
  CHECK(quiet > 0);
  CHECK(quiet < loud / 2);
  REQUIRE(sp_set_mute(f.p, 1) == SP_OK);
  pull_peak(5);
  CHECK(pull_peak(20) == 0);
  CHECK(sp_audio_read(f.p, nullptr, 10) == SP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("A/V sync: video follows the host-pulled audio clock") {
  ClipSpec spec;
  spec.seconds = 4;
  std::string clip = make_clip(spec);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  std::atomic<bool> stop{false};
  // The "audio device": pulls 10 ms every 10 ms and records the media time of
  // the audio it has consumed (samples pulled * rate).
  std::atomic<int64_t> pulled_ms{0};
  f.host.audio_pulled = &pulled_ms;
  REQUIRE(sp_play(f.p) == SP_OK);
  std::thread audio([&] {
    std::vector<int16_t> buf(2 * 480);
    auto t0 = std::chrono::steady_clock::now();
    int64_t frames = 0;
    while (!stop.load()) {
      sp_audio_read(f.p, buf.data(), 480);
      frames += 480;
      pulled_ms.store(frames / 48);
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(frames * 1000000 / 48000));
    }
  });
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  stop.store(true);
  audio.join();
  // Every frame's timestamp is compared with the audio consumed when it was
  // shown: the drift stays within two frame durations plus the audio block.
  // (pulled - pts) is the audio pipeline's constant offset (output latency and
  // the silence pulled before the first samples); what must not happen is
  // drift: its spread over the clip stays within a bound.
  std::lock_guard lk(f.host.mu);
  CHECK(f.host.frames.size() >= 90); // most of the 100 frames shown at 1x
  std::vector<int64_t> offs;
  for (auto &fr : f.host.frames)
    if (fr.pts_ms >= 500) offs.push_back(fr.audio_ms - fr.pts_ms);
  REQUIRE(offs.size() > 50);
  std::sort(offs.begin(), offs.end());
  int64_t spread = offs[offs.size() * 98 / 100] - offs[offs.size() * 2 / 100];
  INFO("offset range " << offs.front() << " .. " << offs.back() << " ms");
  CHECK(spread <= 100); // ~2 frames + one 10 ms pull
}

TEST_CASE("A/V sync: video that starts after the audio waits for it, held rather than slowed") {
  // A cut made with -c copy, or an offset stream: the audio starts at 0, the
  // first picture at 0.74 s. mpv holds that picture until the audio reaches
  // it; ffplay's rule (each picture shown twice as long until in sync)
  // played the first second in slow motion, up to 0.6 s ahead of the sound.
  TempDir dir;
  const std::string clip = dir.file("late-video.mkv");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=48000:duration=3.7 "
              "-itsoffset 0.7 -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 -map 1:v -map 0:a "
              "-c:v libx264 -preset veryfast -c:a aac '" + clip + "'") == 0);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty(); }));
  REQUIRE(f.host.last_frame().pts_ms >= 700);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> pulled_ms{0};
  f.host.audio_pulled = &pulled_ms;
  REQUIRE(sp_play(f.p) == SP_OK);
  std::thread audio([&] {
    std::vector<int16_t> buf(2 * 480);
    auto t0 = std::chrono::steady_clock::now();
    int64_t frames = 0;
    while (!stop.load()) {
      sp_audio_read(f.p, buf.data(), 480);
      frames += 480;
      pulled_ms.store(frames / 48);
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(frames * 1000000 / 48000));
    }
  });
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  stop.store(true);
  audio.join();
  std::lock_guard lk(f.host.mu);
  // Every picture after the first (shown at the open, paused), from the very
  // start: the offset to the audio consumed stays within the same bound as
  // the sync test's, so the first second is not ahead of the sound.
  std::vector<int64_t> offs;
  for (size_t i = 1; i < f.host.frames.size(); ++i)
    offs.push_back(f.host.frames[i].audio_ms - f.host.frames[i].pts_ms);
  REQUIRE(offs.size() > 50);
  const int64_t settled = offs[offs.size() / 2];
  INFO("offsets: first " << offs[0] << ", " << offs[1] << ", " << offs[2] << " ms; median " << settled << " ms");
  for (size_t i = 0; i < 10; ++i)
    CHECK(offs[i] >= settled - 100);
}

TEST_CASE("a video shorter than its audio: the position follows the sound to the end") {
  TempDir dir;
  const std::string clip = dir.file("short-video.mkv");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=1 "
              "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=2.5 -c:v libx264 -preset veryfast "
              "-c:a aac '" + clip + "'") == 0);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  std::atomic<bool> stop{false};
  REQUIRE(sp_play(f.p) == SP_OK);
  std::thread audio([&] {
    std::vector<int16_t> buf(2 * 480);
    auto t0 = std::chrono::steady_clock::now();
    int64_t frames = 0;
    while (!stop.load()) {
      sp_audio_read(f.p, buf.data(), 480);
      frames += 480;
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(frames * 1000000 / 48000));
    }
  });
  // Past the last picture (0.96 s), the position goes on with the sound.
  REQUIRE(f.host.wait([&] { return f.position() >= 1500; }, 10s));
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 10s));
  stop.store(true);
  audio.join();
  CHECK(f.host.last_frame().pts_ms <= 1000);
  CHECK(f.position() >= 2400);
  std::lock_guard lk(f.host.mu);
  for (auto &e : f.host.events)
    if (e.type == SP_EVENT_END_OF_FILE) CHECK(e.position_ms >= 2400);
}

TEST_CASE("a stream without timestamps (raw H.264) plays every frame at its rate; a seek it cannot do is said") {
  TempDir dir;
  const std::string clip = dir.file("raw.h264");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=2 "
              "-c:v libx264 -preset veryfast -f h264 '" + clip + "'") == 0);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty(); }));
  // Seeking needs timestamps or an index: refused with a message, nothing lost.
  REQUIRE(sp_seek(f.p, 1000, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_SEEK_DONE); }));
  {
    std::lock_guard lk(f.host.mu);
    bool said = false;
    for (size_t i = 0; i < f.host.events.size(); ++i)
      if (f.host.events[i].type == SP_EVENT_ERROR &&
          f.host.messages[i].find("playback goes on where it was") != std::string::npos)
        said = true;
    CHECK(said);
  }
  CHECK(f.position() == 0);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  std::lock_guard lk(f.host.mu);
  // Every frame once, 40 ms apart from 0 (the frame rate), none with a
  // made-up timestamp of INT64_MIN.
  REQUIRE(f.host.frames.size() == 50);
  for (size_t i = 0; i < f.host.frames.size(); ++i)
    CHECK(f.host.frames[i].pts_ms == static_cast<int64_t>(i) * 40);
}

TEST_CASE("without audio the last picture is shown for its duration before the end of file") {
  // Two pictures at 2 fps: 0.5 s each, 1 s of video. The end comes when the
  // second picture's half second is over, not when it appears (a lower
  // bound: a slower machine only ends later).
  TempDir dir;
  const std::string clip = dir.file("two.mp4");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=64x48:rate=2:duration=1 "
              "-c:v libx264 -preset veryfast '" + clip + "'") == 0);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty(); }));
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 10s));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(f.host.frame_count() == 2);
  CHECK(ms >= 900);
}

TEST_CASE("sp_stats counts the pictures shown and dropped, per media, kept after sp_stop") {
  ClipSpec spec;
  spec.seconds = 2; // 50 frames
  const std::string clip = make_clip(spec);
  PlayerFixture f(PlayerFixture::Opts{{"framedrop", "0"}});
  auto stats = [&] {
    sp_stats st{};
    st.struct_size = sizeof st;
    REQUIRE(sp_get_stats(f.p, &st) == SP_OK);
    return st;
  };
  CHECK(stats().frames_displayed == 0); // nothing opened yet
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  sp_stats st = stats();
  CHECK(st.frames_displayed == static_cast<int64_t>(f.host.frame_count()));
  CHECK(st.frames_displayed == 50); // framedrop=0: every picture
  CHECK(st.frames_dropped == 0);
  REQUIRE(sp_stop(f.p) == SP_OK);
  CHECK(stats().frames_displayed == 50); // the media closed last
  // A new open counts afresh: its first picture only, while paused.
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.frames.size() >= 51; }));
  CHECK(stats().frames_displayed == 1);
  // An older, smaller struct (before these fields) is filled without them.
  sp_stats old{};
  old.struct_size = offsetof(sp_stats, frames_displayed);
  old.frames_displayed = -7;
  REQUIRE(sp_get_stats(f.p, &old) == SP_OK);
  CHECK(old.struct_size == offsetof(sp_stats, frames_displayed));
  CHECK(old.frames_displayed == -7);
}

TEST_CASE("sp_get_buffered_ms: what is read ahead of the position, none at the end") {
  ClipSpec spec;
  spec.seconds = 4;
  const std::string clip = make_clip(spec);
  PlayerFixture f;
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  auto buffered = [&] {
    int64_t b = -1;
    REQUIRE(sp_get_buffered_ms(f.p, &b) == SP_OK);
    return b;
  };
  // Paused at the start, the demuxer reads ahead to its high-water mark (2 s).
  for (int i = 0; i < 500 && buffered() < 1500; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(buffered() >= 1500);
  CHECK(buffered() <= 4000 - f.position());
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 15s));
  CHECK(buffered() <= 40);
}

TEST_CASE("audio_output=callback with a host that does not pull: the picture goes on and the media ends") {
  // smartplayer.h (sp_audio_read): a host that stops pulling does not stop
  // the picture. Its end came, but END_OF_FILE never did: the end waited for
  // the audio ring to drain.
  ClipSpec spec;
  spec.seconds = 2;
  const std::string clip = make_clip(spec);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}});
  REQUIRE(sp_open(f.p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 15s));
  CHECK(f.state() == SP_STATE_ENDED);
  CHECK(f.host.last_frame().pts_ms == 1960);
  CHECK(f.position() >= 1960);
  // Played again from the start, it ends again.
  {
    std::lock_guard lk(f.host.mu);
    f.host.events.clear();
  }
  REQUIRE(sp_play(f.p) == SP_OK);
  CHECK(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 15s));
}

TEST_CASE("audio-only media plays: the sound is the clock, seeks land on their sample, the end comes") {
  TempDir dir;
  // Lossless stereo (no remix), and each sample tells its media time: 0.5 * t / 8 of full scale.
  const std::string wav = dir.file("ramp.wav");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i "
              "\"aevalsrc=0.5*t/8|0.5*t/8:c=stereo:s=48000:d=6\" \"" +
              wav + "\" </dev/null") == 0);
  PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}, {"audio_rate", "48000"}});
  REQUIRE(sp_open(f.p, wav.c_str(), nullptr) == SP_OK);
  sp_media_info info{};
  info.struct_size = sizeof info;
  REQUIRE(sp_get_media_info(f.p, &info) == SP_OK);
  CHECK(info.width == 0);
  CHECK(info.height == 0);
  CHECK(info.has_audio == 1);
  CHECK(std::string(info.video_codec).empty());
  CHECK(info.duration_ms == 6000);

  // The "audio device": pulls 10 ms every 10 ms and notes the media time of
  // each pull's first sample (NAN: silence).
  std::mutex amu;
  std::vector<double> heard;
  std::atomic<bool> stop{false};
  std::thread device([&] {
    std::vector<int16_t> buf(2 * 480);
    auto t0 = std::chrono::steady_clock::now();
    int64_t frames = 0;
    while (!stop.load()) {
      int n = sp_audio_read(f.p, buf.data(), 480);
      double t = n > 0 && buf[0] > 0 ? buf[0] * 16.0 / 32767.0 : NAN;
      {
        std::lock_guard lk(amu);
        heard.push_back(t);
      }
      frames += 480;
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(frames * 1000000 / 48000));
    }
  });
  auto heard_now = [&] {
    std::lock_guard lk(amu);
    return heard;
  };
  auto last_heard = [&] {
    auto h = heard_now();
    for (auto it = h.rbegin(); it != h.rend(); ++it)
      if (!std::isnan(*it)) return *it;
    return std::nan("");
  };

  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return last_heard() > 1.0; }, 10s));
  // The position follows the sound (within the output's block and latency).
  CHECK(std::fabs(static_cast<double>(f.position()) / 1000.0 - last_heard()) < 0.2);

  // An accurate seek: SEEK_DONE at the target, and the first sound after it
  // is the target's sample.
  const size_t before_seek = heard_now().size();
  REQUIRE(sp_seek(f.p, 3000, SP_SEEK_ABSOLUTE | SP_SEEK_ACCURATE) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_SEEK_DONE); }));
  {
    std::lock_guard lk(f.host.mu);
    for (auto &e : f.host.events)
      if (e.type == SP_EVENT_SEEK_DONE) CHECK(e.position_ms == 3000);
  }
  REQUIRE(f.host.wait([&] { return last_heard() > 3.2; }, 10s));
  auto h = heard_now();
  double first_after = NAN;
  for (size_t i = before_seek; i < h.size() && std::isnan(first_after); ++i)
    if (!std::isnan(h[i]) && h[i] > 2.5) first_after = h[i];
  CHECK(first_after >= 2.999);
  CHECK(first_after < 3.05);
  CHECK(f.host.frame_count() == 0); // no pictures, and none made up

  // Paused, the position stands; a step only pauses (no frame to show).
  REQUIRE(sp_pause(f.p) == SP_OK);
  std::this_thread::sleep_for(100ms);
  const int64_t paused_at = f.position();
  std::this_thread::sleep_for(300ms);
  CHECK(f.position() == paused_at);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(sp_step(f.p) == SP_OK);
  CHECK(f.state() == SP_STATE_PAUSED);

  // The end: END_OF_FILE where the sound ended.
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 15s));
  CHECK(f.state() == SP_STATE_ENDED);
  CHECK(f.position() > 5800);
  CHECK(f.position() <= 6000);
  stop.store(true);
  device.join();
}

TEST_CASE(
    "audio-only media: an mp3 with cover art plays, and audio_output=none says there is nothing to play") {
  TempDir dir;
  const std::string png = dir.file("cover.png"), mp3 = dir.file("song.mp3");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=64x64:d=0.04 -frames:v 1 \"" +
              png + "\" </dev/null") == 0);
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=f=440:d=2 -i \"" + png +
              "\" -map 0 -map 1 -c:a libmp3lame -c:v copy -disposition:v attached_pic -id3v2_version 3 \"" +
              mp3 + "\" </dev/null") == 0);
  {
    PlayerFixture f(PlayerFixture::Opts{{"audio_output", "callback"}});
    REQUIRE(sp_open(f.p, mp3.c_str(), nullptr) == SP_OK);
    REQUIRE(sp_play(f.p) == SP_OK);
    std::atomic<bool> stop{false};
    std::thread device([&] {
      std::vector<int16_t> buf(2 * 480);
      while (!stop.load()) {
        sp_audio_read(f.p, buf.data(), 480);
        std::this_thread::sleep_for(5ms); // twice real time
      }
    });
    CHECK(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 15s));
    CHECK(f.host.frame_count() == 0); // the cover is not a video
    stop.store(true);
    device.join();
  }
  PlayerFixture f; // audio_output=none
  CHECK(sp_open(f.p, mp3.c_str(), nullptr) == SP_ERR_NO_VIDEO);
  CHECK(std::string(sp_player_last_error(f.p)).find("nothing to play") != std::string::npos);
  CHECK(f.state() == SP_STATE_IDLE);
}

TEST_CASE("bad input: each gets a code and a message, and the player survives") {
  TempDir dir;
  PlayerFixture f;
  auto expect_open = [&](const std::string &url, int code, const std::string &needle) {
    INFO(url);
    CHECK(sp_open(f.p, url.c_str(), nullptr) == code);
    std::string msg = sp_player_last_error(f.p);
    CHECK(msg.find(needle) != std::string::npos);
    CHECK(f.state() == SP_STATE_IDLE);
  };
  expect_open(dir.file("missing.mp4"), SP_ERR_NOT_FOUND, "missing.mp4");
  // A control character in the name is shown escaped: a message is one line.
  expect_open(dir.file("new\nline.mp4"), SP_ERR_NOT_FOUND, "new%0Aline.mp4");
  CHECK(std::string(sp_player_last_error(f.p)).find('\n') == std::string::npos);
  write_bytes(dir.file("empty.mp4"), "");
  expect_open(dir.file("empty.mp4"), SP_ERR_FORMAT, "empty.mp4");
  write_bytes(dir.file("notes.txt"), "this is not a video, just some text\n");
  expect_open(dir.file("notes.txt"), SP_ERR_FORMAT, "notes.txt");
  {
    ClipSpec spec;
    spec.seconds = 2;
    std::string clip = make_clip(spec);
    std::ifstream in(clip, std::ios::binary);
    std::string head(2048, '\0');
    in.read(head.data(), 2048);
    write_bytes(dir.file("truncated.mp4"), head);
    expect_open(dir.file("truncated.mp4"), SP_ERR_FORMAT, "truncated.mp4");
  }
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=duration=1 " +
              dir.file("audio.m4a")) == 0);
  expect_open(dir.file("audio.m4a"), SP_ERR_NO_VIDEO, "audio_output is none"); // (plays with audio output)
  expect_open("http://127.0.0.1:" + std::to_string(closed_port()) + "/x.mp4", SP_ERR_NETWORK, "127.0.0.1");

  // Wrong state and invalid arguments.
  CHECK(sp_play(f.p) == SP_ERR_INVALID_STATE);
  CHECK(sp_seek(f.p, 0, 0) == SP_ERR_INVALID_STATE);
  CHECK(sp_get_media_info(f.p, nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_open(f.p, nullptr, nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_open(f.p, "", nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_play(nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_get_state(nullptr, nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_get_position_ms(f.p, nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_set_video_callback(f.p, &Host::on_frame, 99, nullptr) == SP_ERR_INVALID_ARGUMENT);
  // Clearing takes any format (a refusal would leave the callback installed).
  CHECK(sp_set_video_callback(f.p, nullptr, 0, nullptr) == SP_OK);
  REQUIRE(sp_set_video_callback(f.p, &Host::on_frame, SP_PIXEL_RGBA32, &f.host) == SP_OK);
  sp_stats st{};
  CHECK(sp_get_stats(f.p, &st) == SP_ERR_INVALID_ARGUMENT); // struct_size not set
  CHECK(std::string(sp_player_last_error(nullptr)).size() > 0);
  CHECK(std::string(sp_strerror(SP_ERR_DB_LOCKED)).find("locked") != std::string::npos);
  sp_config *cfg = sp_config_create();
  CHECK(sp_config_set(cfg, "video_output", "bogus") == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_config_set(cfg, "no_such_key", "1") == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_config_set(cfg, nullptr, "1") == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_config_set(cfg, "cost", "1,2") == SP_ERR_INVALID_ARGUMENT);
  sp_config_destroy(cfg);
  CHECK(sp_player_create(nullptr, nullptr) == SP_ERR_INVALID_ARGUMENT);

  // Still works afterwards.
  ClipSpec spec;
  spec.seconds = 2;
  REQUIRE(sp_open(f.p, make_clip(spec).c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return !f.host.frames.empty() && f.host.frames.back().burned >= 3; }));

  // A failed open closes what was open: nothing is left of it, its
  // position included.
  REQUIRE(sp_seek(f.p, 1200, 0) == SP_OK);
  CHECK(sp_open(f.p, dir.file("missing.mp4").c_str(), nullptr) == SP_ERR_NOT_FOUND);
  CHECK(f.state() == SP_STATE_IDLE);
  int64_t pos = -1, dur = -1;
  REQUIRE(sp_get_position_ms(f.p, &pos) == SP_OK);
  REQUIRE(sp_get_duration_ms(f.p, &dur) == SP_OK);
  CHECK(pos == 0);
  CHECK(dur == 0);
}

TEST_CASE("a file cut short plays to where it ends, and says it was cut short") {
  // An mp4 with its index first (as a download or a copy in progress leaves
  // it): it opens with its whole duration, but its data stops half-way.
  TempDir dir;
  const std::string whole = dir.file("whole.mp4");
  REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=25 -t 4 "
              "-pix_fmt yuv420p -c:v libx264 -movflags +faststart '" +
              whole + "'") == 0);
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(bytes.size() > 4000);
  write_bytes(dir.file("cut.mp4"), bytes.substr(0, bytes.size() / 2));

  PlayerFixture f;
  REQUIRE(sp_open(f.p, dir.file("cut.mp4").c_str(), nullptr) == SP_OK);
  int64_t dur = 0;
  REQUIRE(sp_get_duration_ms(f.p, &dur) == SP_OK);
  CHECK(dur == 4000);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(f.host.wait([&] { return f.host.has_event(SP_EVENT_END_OF_FILE); }, 20s));
  CHECK(f.state() == SP_STATE_ENDED);
  std::lock_guard lk(f.host.mu);
  bool said = false;
  for (size_t i = 0; i < f.host.events.size(); ++i)
    if (f.host.events[i].type == SP_EVENT_ERROR) {
      CHECK(f.host.events[i].code == SP_ERR_FORMAT);
      CHECK(f.host.messages[i].find("truncated") != std::string::npos);
      CHECK(f.host.messages[i].find("of its 4.0 s") != std::string::npos);
      said = true;
    }
  CHECK(said);
  REQUIRE_FALSE(f.host.frames.empty());
  CHECK(f.host.frames.back().pts_ms < 3000); // it played what there is, and no further
  CHECK(f.host.frames.size() >= 10);
}

TEST_CASE("opening another file replaces the first; destroy while playing is clean") {
  ClipSpec a;
  a.seconds = 2;
  ClipSpec b;
  b.seconds = 3;
  b.width = 160;
  b.height = 120;
  PlayerFixture f;
  REQUIRE(sp_open(f.p, make_clip(a).c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(f.p) == SP_OK);
  REQUIRE(sp_open(f.p, make_clip(b).c_str(), nullptr) == SP_OK);
  sp_media_info info{};
  info.struct_size = sizeof info;
  REQUIRE(sp_get_media_info(f.p, &info) == SP_OK);
  CHECK(info.width == 160);
  CHECK(f.state() == SP_STATE_PAUSED);
  REQUIRE(sp_play(f.p) == SP_OK);
  std::this_thread::sleep_for(200ms);
}
