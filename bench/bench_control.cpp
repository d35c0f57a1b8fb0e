// Control-call latency through the C API (Google Benchmark): how long
// sp_set_volume / sp_set_mute / sp_set_rate take on the calling thread, in
// bursts of 50 back-to-back calls with 5 ms between bursts, on a player with a
// behaviour database (log_batch_ms 200, the default).
//   BM_ControlCall/0   nobody else uses the database
//   BM_ControlCall/1   another process holds the database's write lock
//                      (BEGIN IMMEDIATE) for the whole run
// Each iteration is one call; the counters give its p50, p99 and max in
// microseconds. A call must never wait for SQLite, so both rows should stay
// in microseconds.
//   BM_DestroyWhileTraining/0    sp_stop, then at once sp_player_destroy;
//                                time from sp_stop to destroy's return
//   BM_DestroyWhileTraining/500  sp_stop, 500 ms (the retraining run the
//                                session end started is fitting), then
//                                sp_player_destroy; time of the destroy alone
// on a learned-policy player with online learning, on a copy (per iteration)
// of $SP_BENCH_TRAIN_DB, a seeded history with a stored model (bench/run.sh
// control makes it: 1,457 simulated sessions; skipped when unset).
//
// The lock holder is a child forked at start-up (before any library thread
// exists) that opens the database with SQLite and takes or releases its
// write lock when the benchmark asks through a pipe.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "smartplayer.h"

namespace {

// ----------------------------------------------------------- lock holder
struct LockHolder {
  int to_child = -1, from_child = -1;
  pid_t pid = -1;

  void start() {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) std::abort();
    pid = fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      serve(down[0], up[1]);
      _exit(0);
    }
    close(down[0]);
    close(up[1]);
    to_child = down[1];
    from_child = up[0];
  }
  // Child: "L<path>\n" takes the write lock on path, "U\n" releases it; each answered with one byte.
  static void serve(int in, int out) {
    sqlite3 *db = nullptr;
    std::string line;
    char c;
    while (read(in, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      char ok = 'n';
      if (!line.empty() && line[0] == 'L' && !db) {
        if (sqlite3_open(line.c_str() + 1, &db) == SQLITE_OK) {
          sqlite3_busy_timeout(db, 10000);
          if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK) ok = 'y';
        }
      } else if (line == "U" && db) {
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        db = nullptr;
        ok = 'y';
      }
      line.clear();
      if (write(out, &ok, 1) != 1) break;
    }
  }
  void ask(const std::string &cmd) {
    std::string msg = cmd + "\n";
    char ok = 0;
    if (write(to_child, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size()) ||
        read(from_child, &ok, 1) != 1 || ok != 'y') {
      std::fprintf(stderr, "lock holder: '%s' failed\n", cmd.c_str());
      std::abort();
    }
  }
  void lock(const std::string &db) { ask("L" + db); }
  void unlock() { ask("U"); }
  void stop() {
    if (pid <= 0) return;
    close(to_child);
    close(from_child);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

LockHolder holder;

std::string clip_path() {
  if (const char *c = std::getenv("SP_BENCH_CLIP")) return c;
  std::string path = (std::filesystem::temp_directory_path() / "sp_bench_control_360p.mp4").string();
  if (!std::filesystem::exists(path)) {
    std::string cmd =
        "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=25:duration=30 "
        "-c:v libx264 -preset veryfast -g 50 " +
        path;
    if (std::system(cmd.c_str()) != 0) std::abort();
  }
  return path;
}

std::string temp_db(const char *name) {
  auto dir = std::filesystem::temp_directory_path() / ("sp_bench_control_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// One control call of three kinds in turn; all are logged as interactions.
int call(sp_player *p, int64_t i) {
  switch (i % 3) {
  case 0:
    return sp_set_volume(p, static_cast<int>(i % 101));
  case 1:
    return sp_set_mute(p, static_cast<int>(i & 1));
  default:
    return sp_set_rate(p, (i & 1) ? 1.25 : 1.0);
  }
}

void BM_ControlCall(benchmark::State &state) {
  const bool locked = state.range(0) == 1;
  std::string db = temp_db("control.db");
  sp_config *cfg = sp_config_create();
  sp_config_set(cfg, "video_output", "none");
  sp_config_set(cfg, "audio_output", "none");
  sp_config_set(cfg, "db", db.c_str());
  sp_config_set(cfg, "policy", "always-on");
  sp_config_set(cfg, "online_learning", "0");
  sp_config_set(cfg, "db_busy_timeout_ms", "60000");
  sp_player *p = nullptr;
  if (sp_player_create(cfg, &p) != SP_OK) std::abort();
  sp_config_destroy(cfg);
  if (sp_open(p, clip_path().c_str(), nullptr) != SP_OK) std::abort();
  int64_t i = 0;
  for (; i < 200; ++i)
    call(p, i); // warm up
  if (locked) holder.lock(db);

  constexpr int kBurst = 50;
  std::vector<double> us;
  us.reserve(static_cast<size_t>(state.max_iterations));
  int in_burst = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    int r = call(p, i++);
    auto t1 = std::chrono::steady_clock::now();
    if (r != SP_OK) std::abort();
    double d = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(d);
    us.push_back(d * 1e6);
    if (++in_burst == kBurst) {
      in_burst = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (locked) holder.unlock();
  sp_player_destroy(p);
  state.counters["p50_us"] = percentile(us, 0.50);
  state.counters["p99_us"] = percentile(us, 0.99);
  state.counters["max_us"] = us.empty() ? 0 : *std::max_element(us.begin(), us.end());
  state.SetLabel(locked ? "db locked by another process" : "db free");
  std::filesystem::remove_all(std::filesystem::path(db).parent_path());
}
BENCHMARK(BM_ControlCall)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(20000);

// The end of playback to a destroyed player, with retraining under way.
void BM_DestroyWhileTraining(benchmark::State &state) {
  const int wait_ms = static_cast<int>(state.range(0));
  double max_ms = 0;
  const char *seed = std::getenv("SP_BENCH_TRAIN_DB");
  if (!seed || !std::filesystem::exists(seed)) {
    state.SkipWithError(
        "set SP_BENCH_TRAIN_DB to a behaviour db with history and a model (bench/run.sh control)");
    return;
  }
  for (auto _ : state) {
    std::string db = temp_db("train.db");
    std::filesystem::copy_file(seed, db);
    sp_config *cfg = sp_config_create();
    sp_config_set(cfg, "video_output", "none");
    sp_config_set(cfg, "audio_output", "none");
    sp_config_set(cfg, "db", db.c_str());
    sp_config_set(cfg, "policy", "learned");
    sp_config_set(cfg, "online_learning", "1");
    sp_player *p = nullptr;
    if (sp_player_create(cfg, &p) != SP_OK) {
      state.SkipWithError(sp_player_last_error(nullptr));
      sp_config_destroy(cfg);
      return;
    }
    sp_config_destroy(cfg);
    if (sp_open(p, clip_path().c_str(), nullptr) != SP_OK || sp_play(p) != SP_OK) std::abort();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto t0 = std::chrono::steady_clock::now();
    sp_stop(p); // the session ends: a retraining run starts
    if (wait_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      t0 = std::chrono::steady_clock::now();
    }
    sp_player_destroy(p);
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    max_ms = std::max(max_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
    std::filesystem::remove_all(std::filesystem::path(db).parent_path());
  }
  state.counters["max_ms"] = max_ms;
}
BENCHMARK(BM_DestroyWhileTraining)
    ->Arg(0)
    ->Arg(500)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

} // namespace

int main(int argc, char **argv) {
  holder.start(); // before any library thread exists
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  holder.stop();
  return 0;
}
