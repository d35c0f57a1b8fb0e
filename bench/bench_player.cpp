// Player benchmarks (Google Benchmark), side by side in one run:
//   BM_SeekLatency/accurate|keyframe   sp_seek -> SP_EVENT_SEEK_DONE on a clip
//   BM_BareLibavSeek/accurate|keyframe the floor: avformat_seek_file + decode to the
//                                      target with libav alone (what ffplay does)
//   BM_CallToLogged                    control call -> SP_EVENT_LOGGED (batched SQLite, WAL)
//   BM_LogThroughput                   events per second the log sustains (bursts of 1000 calls)
// The clip is $SP_BENCH_CLIP (bench/run.sh passes the 1080p clip) or a 720p
// clip made here with the ffmpeg command.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "smartplayer.h"

namespace {

std::string clip_path() {
  if (const char *c = std::getenv("SP_BENCH_CLIP")) return c;
  std::string path = (std::filesystem::temp_directory_path() / "sp_bench_720p.mp4").string();
  if (!std::filesystem::exists(path)) {
    std::string cmd = "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30:duration=30 "
                      "-f lavfi -i sine=duration=30 -c:v libx264 -preset veryfast -g 60 -c:a aac -shortest " + path;
    if (std::system(cmd.c_str()) != 0) std::abort();
  }
  return path;
}

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  int64_t seeks_done = 0;
  int64_t last_logged_seq = 0;
  static void on_event(const sp_event *ev, void *user) {
    auto *w = static_cast<Waiter *>(user);
    std::lock_guard lk(w->mu);
    if (ev->type == SP_EVENT_SEEK_DONE) ++w->seeks_done;
    if (ev->type == SP_EVENT_LOGGED && ev->seq > w->last_logged_seq) w->last_logged_seq = ev->seq;
    w->cv.notify_all();
  }
};

sp_player *make_player(const std::string &db, Waiter &w, int batch_ms = 200) {
  sp_config *cfg = sp_config_create();
  sp_config_set(cfg, "log_batch_ms", std::to_string(batch_ms).c_str());
  sp_config_set(cfg, "video_output", "callback");
  sp_config_set(cfg, "audio_output", "none");
  sp_config_set(cfg, "db", db.c_str());
  sp_config_set(cfg, "policy", "always-on");
  sp_player *p = nullptr;
  if (sp_player_create(cfg, &p) != SP_OK) std::abort();
  sp_config_destroy(cfg);
  sp_set_video_callback(p, [](const sp_video_frame *, void *) {}, SP_PIXEL_YUV420P, nullptr);
  sp_set_event_callback(p, &Waiter::on_event, &w);
  if (sp_open(p, clip_path().c_str(), nullptr) != SP_OK) std::abort();
  return p;
}

void BM_SeekLatency(benchmark::State &state) {
  bool accurate = state.range(0) == 1;
  Waiter w;
  sp_player *p = make_player("", w);
  int64_t dur = 0;
  sp_get_duration_ms(p, &dur);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int64_t> pos(0, dur - 1000);
  for (auto _ : state) {
    int64_t before;
    {
      std::lock_guard lk(w.mu);
      before = w.seeks_done;
    }
    sp_seek(p, pos(rng), accurate ? SP_SEEK_ACCURATE : SP_SEEK_KEYFRAME);
    std::unique_lock lk(w.mu);
    w.cv.wait(lk, [&] { return w.seeks_done > before; });
  }
  sp_player_destroy(p);
  state.SetLabel(accurate ? "accurate" : "keyframe");
}
BENCHMARK(BM_SeekLatency)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);

// The floor for the same seeks with libav alone, as ffplay does them.
void BM_BareLibavSeek(benchmark::State &state) {
  bool accurate = state.range(0) == 1;
  AVFormatContext *fmt = nullptr;
  if (avformat_open_input(&fmt, clip_path().c_str(), nullptr, nullptr) < 0) std::abort();
  avformat_find_stream_info(fmt, nullptr);
  int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const AVCodec *codec = avcodec_find_decoder(fmt->streams[vi]->codecpar->codec_id);
  AVCodecContext *dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, fmt->streams[vi]->codecpar);
  avcodec_open2(dec, codec, nullptr);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  AVRational tb = fmt->streams[vi]->time_base;
  int64_t dur_ms = fmt->duration / 1000;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int64_t> pos(0, dur_ms - 1000);
  for (auto _ : state) {
    int64_t target_ms = pos(rng);
    int64_t ts = target_ms * 1000;
    avformat_seek_file(fmt, -1, INT64_MIN, ts, ts, 0);
    avcodec_flush_buffers(dec);
    bool done = false;
    while (!done && av_read_frame(fmt, pkt) >= 0) {
      if (pkt->stream_index == vi && avcodec_send_packet(dec, pkt) >= 0) {
        while (avcodec_receive_frame(dec, frame) >= 0) {
          double t = static_cast<double>(frame->best_effort_timestamp) * av_q2d(tb) * 1000.0;
          if (!accurate || t + 20 >= static_cast<double>(target_ms)) done = true;
          av_frame_unref(frame);
          if (done) break;
        }
      }
      av_packet_unref(pkt);
    }
  }
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  state.SetLabel(accurate ? "accurate" : "keyframe");
}
BENCHMARK(BM_BareLibavSeek)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);

std::string temp_db(const char *name) {
  auto p = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove(p);
  std::filesystem::remove(p.string() + "-wal");
  std::filesystem::remove(p.string() + "-shm");
  return p.string();
}

// One call, then wait until the control thread has committed it. Arg: the
// batching window (log_batch_ms; 200 is the default, 0 commits at once).
void BM_CallToLogged(benchmark::State &state) {
  Waiter w;
  sp_player *p = make_player(temp_db("sp_bench_call.db"), w, static_cast<int>(state.range(0)));
  int v = 0;
  int64_t seq = 1;
  for (auto _ : state) {
    sp_set_volume(p, (v++) % 101);
    ++seq;
    std::unique_lock lk(w.mu);
    w.cv.wait(lk, [&] { return w.last_logged_seq >= seq; });
  }
  sp_player_destroy(p);
}
BENCHMARK(BM_CallToLogged)->Arg(200)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(50);

// Bursts of 1000 calls; items = events committed.
void BM_LogThroughput(benchmark::State &state) {
  Waiter w;
  sp_player *p = make_player(temp_db("sp_bench_burst.db"), w);
  int64_t seq = 1;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) sp_set_volume(p, i % 101);
    seq += 1000;
    std::unique_lock lk(w.mu);
    w.cv.wait(lk, [&] { return w.last_logged_seq >= seq; });
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  sp_player_destroy(p);
}
BENCHMARK(BM_LogThroughput)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

} // namespace

BENCHMARK_MAIN();
