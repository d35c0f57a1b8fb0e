// bench_sessions: simulated viewers drive real players through the C API.
//
//   bench_sessions --traces FILE --clip CLIP --seed-db DB [--viewers N] [--seconds S]
//                  [--policies always-on,fixed-timeout,learned] [--json OUT]
//
// For each policy, N sessions (the latest session of N different viewers in
// the trace file) are replayed at once, in real time, for at most S seconds
// each: N real players (decoding CLIP, no output device) receive the
// sessions' calls (play, pause, seek, rate, volume, mute, skip, stop) at the
// sessions' own times, all logging to one copy of the seed database (which
// holds the seed history and the trained model). A host per player holds a
// "connection" while its control plane is awake (the sleep/wake callback).
// Reported per policy: awake fraction, control-thread wake-ups per minute,
// connection-seconds held, wake latency p50/p99, events submitted / logged /
// lost, and process CPU seconds and voluntary context switches per second.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/behaviour_log.h"
#include "smartplayer.h"
#include "trace/trace.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Host {
  std::mutex mu;
  bool connected = true;  // a player starts awake
  Clock::time_point since = Clock::now();
  double held_s = 0;
  int64_t connects = 1;
  static void on_control(int awake, int, void *user) {
    auto *h = static_cast<Host *>(user);
    std::lock_guard lk(h->mu);
    auto now = Clock::now();
    if (awake && !h->connected) {
      h->connected = true;
      h->since = now;
      ++h->connects;
    } else if (!awake && h->connected) {
      h->connected = false;
      h->held_s += std::chrono::duration<double>(now - h->since).count();
    }
  }
  double finish() {
    std::lock_guard lk(mu);
    if (connected) held_s += std::chrono::duration<double>(Clock::now() - since).count();
    connected = false;
    return held_s;
  }
};

struct Result {
  std::string policy;
  int sessions = 0;
  double wall_s = 0, awake_s = 0, asleep_s = 0, held_s = 0, cpu_s = 0;
  int64_t wakeups = 0, wakes_proactive = 0, wakes_on_demand = 0, misses = 0, calls = 0, calls_failed = 0;
  int64_t accepted = 0, logged = 0, vcsw = 0;
  std::vector<double> p50, p99;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
int64_t voluntary_switches() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw;
}

int apply(sp_player *p, const sp::Interaction &ix) {
  switch (ix.kind) {
  case sp::Kind::Play: return sp_play(p);
  case sp::Kind::Pause: return sp_pause(p);
  case sp::Kind::Seek: return sp_seek(p, ix.to_ms.value_or(ix.position_ms), SP_SEEK_KEYFRAME);
  case sp::Kind::Rate: return sp_set_rate(p, std::clamp(ix.value.value_or(1.0), 0.5, 2.0));
  case sp::Kind::Volume: return sp_set_volume(p, static_cast<int>(std::clamp(ix.value.value_or(100.0), 0.0, 100.0)));
  case sp::Kind::Mute: return sp_set_mute(p, ix.value.value_or(0) != 0);
  case sp::Kind::Skip: return sp_skip(p, ix.value.value_or(1) < 0 ? -1 : 1);
  case sp::Kind::Step: return sp_step(p);
  case sp::Kind::Stop: return sp_stop(p);
  default: return SP_OK;  // open, end: not calls
  }
}

Result run_policy(const std::string &policy, const std::vector<const sp::TraceSession *> &sessions,
                  const std::string &clip, const std::string &seed_db, const std::string &work, double seconds,
                  int64_t after_id) {
  Result r;
  r.policy = policy;
  std::string db = work + "/bench-" + policy + ".db";
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  std::filesystem::copy_file(seed_db, db);
  struct Seat {
    sp_player *p = nullptr;
    Host host;
  };
  std::vector<std::unique_ptr<Seat>> seats;
  for (const auto *s : sessions) {
    auto seat = std::make_unique<Seat>();
    sp_config *cfg = sp_config_create();
    sp_config_set(cfg, "video_output", "none");
    sp_config_set(cfg, "audio_output", "none");
    sp_config_set(cfg, "db", db.c_str());
    sp_config_set(cfg, "policy", policy.c_str());
    sp_config_set(cfg, "online_learning", "0");
    sp_config_set(cfg, "db_busy_timeout_ms", "20000");
    int rc = sp_player_create(cfg, &seat->p);
    sp_config_destroy(cfg);
    if (rc != SP_OK) {
      std::fprintf(stderr, "bench_sessions: create (%s): %s\n", policy.c_str(), sp_strerror(rc));
      std::exit(1);
    }
    sp_set_control_callback(seat->p, &Host::on_control, &seat->host);
    sp_media_meta meta{.struct_size = sizeof(sp_media_meta),
                       .video_id = s->video.c_str(),
                       .title = s->video.c_str(),
                       .genre = s->genre.c_str(),
                       .viewer_id = s->viewer.c_str()};
    if (sp_open(seat->p, clip.c_str(), &meta) != SP_OK) {
      std::fprintf(stderr, "bench_sessions: open: %s\n", sp_player_last_error(seat->p));
      std::exit(1);
    }
    seats.push_back(std::move(seat));
  }
  double cpu0 = cpu_seconds();
  int64_t vcsw0 = voluntary_switches();
  auto t0 = Clock::now();
  std::vector<std::thread> drivers;
  std::atomic<int64_t> calls{0}, failed{0}, accepted{0};
  for (size_t i = 0; i < sessions.size(); ++i) {
    drivers.emplace_back([&, i] {
      const auto &s = *sessions[i];
      sp_player *p = seats[i]->p;
      for (const auto &ix : s.events) {
        if (ix.kind == sp::Kind::Open || ix.kind == sp::Kind::End) continue;
        double at = static_cast<double>(ix.wall_ms - s.start_wall_ms) / 1000.0;
        if (at > seconds) break;
        std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at)));
        calls.fetch_add(1);
        int rc = apply(p, ix);
        if (rc == SP_OK) accepted.fetch_add(1);
        else if (rc != SP_ERR_INVALID_STATE) failed.fetch_add(1);
        if (ix.kind == sp::Kind::Stop) break;
      }
    });
  }
  for (auto &d : drivers) d.join();
  std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto &seat : seats) {
    sp_stats st{};
    st.struct_size = sizeof st;
    sp_get_stats(seat->p, &st);
    r.awake_s += st.awake_s;
    r.asleep_s += st.asleep_s;
    r.wakeups += st.control_wakeups;
    r.wakes_proactive += st.wakes_proactive;
    r.wakes_on_demand += st.wakes_on_demand;
    r.misses += st.misses;
    if (st.wakes_on_demand > 0) {
      r.p50.push_back(st.wake_latency_p50_ms);
      r.p99.push_back(st.wake_latency_p99_ms);
    }
    r.held_s += seat->host.finish();
  }
  r.cpu_s = cpu_seconds() - cpu0;
  r.vcsw = voluntary_switches() - vcsw0;
  for (auto &seat : seats) {
    sp_player_destroy(seat->p);  // flushes every accepted event
    seat->p = nullptr;
  }
  r.sessions = static_cast<int>(sessions.size());
  r.calls = calls.load();
  r.calls_failed = failed.load();
  r.accepted = accepted.load();
  // Count what reached the database, independently of the players' counters:
  // every accepted call of the new sessions must be there (lost = the rest).
  std::unique_ptr<sp::BehaviourLog> log;
  std::string err;
  sp::LogOptions lo;
  lo.read_only = true;
  std::vector<sp::TraceSession> all;
  if (sp::BehaviourLog::open(db, lo, log, err) != SP_OK || log->read_traces(all, err, after_id) != SP_OK) {
    std::fprintf(stderr, "bench_sessions: reading %s: %s\n", db.c_str(), err.c_str());
    std::exit(1);
  }
  for (const auto &s : all)
    for (const auto &ix : s.events)
      if (ix.kind != sp::Kind::Open && ix.kind != sp::Kind::End) ++r.logged;
  return r;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double maxof(const std::vector<double> &v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

} // namespace

int main(int argc, char **argv) {
  std::string traces, clip, seed_db, json_out, work = std::filesystem::temp_directory_path().string();
  std::string policies = "always-on,fixed-timeout,learned";
  int viewers = 20;
  double seconds = 60;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_sessions: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--traces") traces = next();
    else if (a == "--clip") clip = next();
    else if (a == "--seed-db") seed_db = next();
    else if (a == "--viewers") viewers = std::atoi(next().c_str());
    else if (a == "--seconds") seconds = std::atof(next().c_str());
    else if (a == "--policies") policies = next();
    else if (a == "--json") json_out = next();
    else if (a == "--work") work = next();
    else {
      std::fprintf(stderr,
                   "usage: bench_sessions --traces FILE --clip CLIP --seed-db DB [--viewers N] [--seconds S]\n"
                   "                      [--policies LIST] [--json OUT] [--work DIR]\n");
      return 2;
    }
  }
  if (traces.empty() || clip.empty() || seed_db.empty()) {
    std::fprintf(stderr, "bench_sessions: --traces, --clip and --seed-db are required\n");
    return 2;
  }
  auto tr = sp::read_trace_file(traces, sp::OnMalformed::Refuse);
  if (!tr.ok) {
    std::fprintf(stderr, "bench_sessions: %s: line %zu: %s\n", traces.c_str(), tr.errors.at(0).line,
                 tr.errors.at(0).message.c_str());
    return 1;
  }
  // The latest session of each viewer, the most recent viewers first.
  std::map<std::string, const sp::TraceSession *> latest;
  for (const auto &s : tr.sessions) {
    auto &slot = latest[s.viewer];
    if (!slot || s.start_wall_ms > slot->start_wall_ms) slot = &s;
  }
  std::vector<const sp::TraceSession *> chosen;
  for (auto &[v, s] : latest) chosen.push_back(s);
  std::sort(chosen.begin(), chosen.end(), [](auto *a, auto *b) { return a->start_wall_ms > b->start_wall_ms; });
  if (static_cast<int>(chosen.size()) > viewers) chosen.resize(static_cast<size_t>(viewers));

  // Sessions already in the seed database are not counted.
  int64_t after_id = 0;
  {
    std::unique_ptr<sp::BehaviourLog> log;
    std::string err;
    sp::LogOptions lo;
    lo.read_only = true;
    std::vector<sp::TraceSession> seed;
    if (sp::BehaviourLog::open(seed_db, lo, log, err) != SP_OK || log->read_traces(seed, err) != SP_OK) {
      std::fprintf(stderr, "bench_sessions: %s: %s\n", seed_db.c_str(), err.c_str());
      return 1;
    }
    for (const auto &s : seed) after_id = std::max<int64_t>(after_id, std::atoll(s.session_id.c_str()));
  }

  std::vector<Result> results;
  size_t start = 0;
  while (start <= policies.size()) {
    size_t comma = policies.find(',', start);
    std::string pol = policies.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!pol.empty()) {
      std::fprintf(stderr, "bench_sessions: %s: %zu viewers for %.0f s ...\n", pol.c_str(), chosen.size(), seconds);
      results.push_back(run_policy(pol, chosen, clip, seed_db, work, seconds, after_id));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }

  std::printf("%-14s %8s %10s %12s %10s %9s %9s %8s %8s %8s %9s %9s\n", "policy", "sessions", "awake_frac",
              "wakeups/min", "conn_s", "lat_p50", "lat_p99", "calls", "misses", "cpu_s", "vcsw/s", "lost");
  std::string json = "{\"viewers\":" + std::to_string(chosen.size()) + ",\"seconds\":" + std::to_string(seconds) +
                     ",\"policies\":{";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto &r = results[i];
    double frac = r.awake_s / std::max(1e-9, r.awake_s + r.asleep_s);
    double minutes = (r.awake_s + r.asleep_s) / 60.0;
    double wpm = static_cast<double>(r.wakeups) / std::max(1e-9, minutes);
    double vps = static_cast<double>(r.vcsw) / std::max(1e-9, r.wall_s);
    std::printf("%-14s %8d %10.3f %12.1f %10.1f %9.2f %9.2f %8lld %8lld %8.1f %9.1f %9s\n", r.policy.c_str(),
                r.sessions, frac, wpm, r.held_s, median(r.p50), maxof(r.p99), static_cast<long long>(r.calls),
                static_cast<long long>(r.misses), r.cpu_s, vps, std::to_string(r.accepted - r.logged).c_str());
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "%s\"%s\":{\"sessions\":%d,\"awake_fraction\":%.4f,\"control_wakeups_per_min\":%.2f,"
                  "\"connection_s\":%.2f,\"wake_latency_p50_ms\":%.3f,\"wake_latency_p99_ms\":%.3f,"
                  "\"wakes_proactive\":%lld,\"wakes_on_demand\":%lld,\"misses\":%lld,\"calls\":%lld,"
                  "\"calls_failed\":%lld,\"events_logged\":%lld,\"events_lost\":%lld,\"cpu_s\":%.2f,"
                  "\"voluntary_switches_per_s\":%.1f}",
                  i ? "," : "", r.policy.c_str(), r.sessions, frac, wpm, r.held_s, median(r.p50), maxof(r.p99),
                  static_cast<long long>(r.wakes_proactive), static_cast<long long>(r.wakes_on_demand),
                  static_cast<long long>(r.misses), static_cast<long long>(r.calls),
                  static_cast<long long>(r.calls_failed), static_cast<long long>(r.logged),
                  static_cast<long long>(r.accepted - r.logged), r.cpu_s, vps);
    json += buf;
  }
  json += "}}";
  if (!json_out.empty()) std::ofstream(json_out) << json << "\n";
  return 0;
}
