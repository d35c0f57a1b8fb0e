// Network media through the public C API, against a local HTTP server that
// behaves like the servers hosts meet (tests/data/http_media_server.py):
// range requests or none, a connection that drops, a server that fails,
// status codes, a server that never answers, and credentials in the URL.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

std::string env_or(const char *name, const char *fallback) {
  const char *v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The server, serving a folder of clips; stopped at destruction.
struct HttpServer {
  TempDir dir;
  std::string root = dir.file("www");
  pid_t pid = -1;
  int port = 0;

  HttpServer() {
    std::filesystem::create_directories(root);
    const std::string port_file = dir.file("port");
    const std::string python = env_or("SP_PYTHON", "python3");
    const std::string script = env_or("SP_SOURCE_DIR", ".") + std::string("/tests/data/http_media_server.py");
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      execlp(python.c_str(), python.c_str(), script.c_str(), port_file.c_str(), root.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && port == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> port)) {
        port = 0;
        std::this_thread::sleep_for(50ms);
      }
    }
    REQUIRE(port > 0);
  }
  ~HttpServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  std::string url(const std::string &path, const std::string &userinfo = "") const {
    return "http://" + userinfo + "127.0.0.1:" + std::to_string(port) + "/" + path;
  }
  // A clip of `seconds` with audio, its index first (as web servers serve MP4).
  std::string add_clip(const std::string &name, int seconds) const {
    ClipSpec spec;
    spec.seconds = seconds;
    const std::string out = (std::filesystem::path(root) / name).string();
    REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -i \"" + make_clip(spec) +
                "\" -c copy -movflags +faststart \"" + out + "\" </dev/null") == 0);
    return out;
  }
};

struct Host {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<sp_event> events;
  std::vector<std::string> messages;
  int frames = 0;

  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<Host *>(user);
    std::lock_guard lk(h->mu);
    h->events.push_back(*ev);
    h->messages.emplace_back(ev->message);
    h->cv.notify_all();
  }
  static void on_frame(const sp_video_frame *, void *user) {
    auto *h = static_cast<Host *>(user);
    std::lock_guard lk(h->mu);
    ++h->frames;
    h->cv.notify_all();
  }
  int count(int type) {
    int n = 0;
    for (auto &e : events)
      n += e.type == type;
    return n;
  }
  template <class Pred> bool wait(Pred pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, pred);
  }
  std::string all_messages() {
    std::lock_guard lk(mu);
    std::string s;
    for (auto &m : messages)
      s += m + "\n";
    return s;
  }
};

sp_player *make_player(Host &host, const std::vector<std::pair<std::string, std::string>> &opts = {}) {
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "callback") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "policy", "always-on") == SP_OK);
  for (auto &[k, v] : opts)
    REQUIRE(sp_config_set(cfg, k.c_str(), v.c_str()) == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  REQUIRE(sp_set_event_callback(p, &Host::on_event, &host) == SP_OK);
  REQUIRE(sp_set_video_callback(p, &Host::on_frame, SP_PIXEL_YUV420P, &host) == SP_OK);
  return p;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("network: a password in the URL is used, never shown or stored") {
  HttpServer srv;
  srv.add_clip("clip.mp4", 2);
  TempDir dir;
  const std::string db = dir.file("cred.db");
  Host host;
  sp_player *p = make_player(host, {{"db", db}, {"log_level", "debug"}});
  const std::string secret = "s3cretPASS";
  REQUIRE(sp_open(p, srv.url("r/clip.mp4", "alice:" + secret + "@").c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  REQUIRE(host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) > 0; }));
  // A refused open names the URL, without the password.
  CHECK(sp_open(p, srv.url("status/404", "alice:" + secret + "@").c_str(), nullptr) == SP_ERR_NOT_FOUND);
  const std::string msg = sp_player_last_error(p);
  CHECK(msg.find(secret) == std::string::npos);
  CHECK(msg.find("alice:***@127.0.0.1") != std::string::npos);
  sp_player_destroy(p);
  // Not in any message, FFmpeg's debug lines included ("Opening '...' for reading").
  CHECK(host.all_messages().find(secret) == std::string::npos);
  CHECK(host.all_messages().find("alice:***@") != std::string::npos);
  // Nor in the behaviour log, nor beside it.
  for (const auto &entry : std::filesystem::directory_iterator(dir.path())) {
    INFO(entry.path());
    CHECK(slurp(entry.path().string()).find(secret) == std::string::npos);
  }
}

TEST_CASE("network: the server's status codes give their own result codes") {
  HttpServer srv;
  Host host;
  sp_player *p = make_player(host);
  CHECK(sp_open(p, srv.url("status/404").c_str(), nullptr) == SP_ERR_NOT_FOUND);
  CHECK(sp_open(p, srv.url("status/403").c_str(), nullptr) == SP_ERR_IO);
  CHECK(std::string(sp_player_last_error(p)).find("refused access") != std::string::npos);
  CHECK(sp_open(p, srv.url("status/401").c_str(), nullptr) == SP_ERR_IO);
  CHECK(sp_open(p, srv.url("status/500").c_str(), nullptr) == SP_ERR_NETWORK);
  CHECK(std::string(sp_player_last_error(p)).find("server failed") != std::string::npos);
  sp_player_destroy(p);
}

TEST_CASE("network: a server without range requests: seeks are refused, SEEK_DONE comes, playback goes on") {
  HttpServer srv;
  srv.add_clip("clip.mp4", 4);
  Host host;
  sp_player *p = make_player(host);
  REQUIRE(sp_open(p, srv.url("plain/clip.mp4").c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  REQUIRE(host.wait([&] { return host.frames >= 25; }));
  REQUIRE(sp_seek(p, 0, SP_SEEK_ABSOLUTE) == SP_OK); // backwards: it read past it
  REQUIRE(host.wait([&] { return host.count(SP_EVENT_SEEK_DONE) >= 1; }));
  REQUIRE(sp_seek(p, 3000, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(host.wait([&] { return host.count(SP_EVENT_SEEK_DONE) >= 2; }));
  REQUIRE(host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) >= 1; }));
  {
    std::lock_guard lk(host.mu);
    int refused = 0;
    for (size_t i = 0; i < host.events.size(); ++i)
      if (host.events[i].type == SP_EVENT_ERROR && host.events[i].code == SP_ERR_UNSUPPORTED) {
        ++refused;
        CHECK(host.messages[i].find("cannot seek") != std::string::npos);
      }
    CHECK(refused == 2);
    // Playback went on from where it was to the end: every picture once.
    CHECK(host.frames == 100);
  }
  int64_t pos = 0;
  REQUIRE(sp_get_position_ms(p, &pos) == SP_OK);
  CHECK(pos >= 3900);
  sp_player_destroy(p);
}

TEST_CASE(
    "network: an MP4 with its index at the end from a server without range requests is refused at open") {
  HttpServer srv;
  ClipSpec spec; // big enough that its start is out of FFmpeg's read buffer by the time the index is read
  spec.seconds = 10;
  spec.width = 640;
  spec.height = 480;
  std::filesystem::copy_file(make_clip(spec), std::filesystem::path(srv.root) / "tail.mp4");
  Host host;
  sp_player *p = make_player(host);
  // (It opened, then ended at once with no picture and no error.)
  CHECK(sp_open(p, srv.url("plain/tail.mp4").c_str(), nullptr) == SP_ERR_FORMAT);
  CHECK(std::string(sp_player_last_error(p)).find("range requests") != std::string::npos);
  // With range requests the same file plays.
  REQUIRE(sp_open(p, srv.url("r/tail.mp4").c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  CHECK(host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) >= 1; }));
  sp_player_destroy(p);
}

TEST_CASE("network: a dropped connection is resumed where it broke; one lost for good is an error") {
  HttpServer srv;
  const std::string clip = srv.add_clip("clip.mp4", 4);
  const auto size = static_cast<long>(std::filesystem::file_size(clip));
  const std::string drop = std::to_string(size / 3);
  SECTION("dropped once per connection: every picture comes") {
    Host host;
    sp_player *p = make_player(host, {{"framedrop", "0"}});
    REQUIRE(sp_open(p, srv.url("die/" + drop + "/clip.mp4").c_str(), nullptr) == SP_OK);
    REQUIRE(sp_play(p) == SP_OK);
    REQUIRE(host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) >= 1; }, 30s));
    std::lock_guard lk(host.mu);
    CHECK(host.frames == 100); // (it ended at a third, "finished", without a word)
    for (auto &e : host.events)
      CHECK(e.type != SP_EVENT_ERROR);
    sp_player_destroy(p);
  }
  SECTION("the server fails after the drop: SP_ERR_NETWORK, then the end") {
    Host host;
    sp_player *p = make_player(host, {{"network_timeout_ms", "2000"}});
    REQUIRE(sp_open(p, srv.url("dead/" + drop + "/clip.mp4").c_str(), nullptr) == SP_OK);
    REQUIRE(sp_play(p) == SP_OK);
    REQUIRE(host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) >= 1; }, 30s));
    std::lock_guard lk(host.mu);
    bool network_error = false;
    for (size_t i = 0; i < host.events.size(); ++i)
      if (host.events[i].type == SP_EVENT_ERROR && host.events[i].code == SP_ERR_NETWORK)
        network_error = true;
    CHECK(network_error);
    CHECK(host.frames < 100);
    // Nothing is buffered past where the stream broke (it said the rest of
    // the duration was).
    int64_t buffered = -1;
    REQUIRE(sp_get_buffered_ms(p, &buffered) == SP_OK);
    CHECK(buffered < 500);
    sp_player_destroy(p);
  }
}

TEST_CASE("network: sp_stop cancels an sp_open waiting for a server that never answers") {
  // Accepts connections (the kernel does) and never says a word.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr *>(&a), &len) == 0);
  REQUIRE(listen(s, 4) == 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/x.mp4";
  Host host;
  // A timeout far longer than the test: only a cancel ends the open early.
  sp_player *p = make_player(host, {{"network_timeout_ms", "60000"}});
  std::atomic<int> open_result{1};
  std::string open_error;
  std::thread opener([&] {
    open_result.store(sp_open(p, url.c_str(), nullptr));
    open_error = sp_player_last_error(p);
  });
  int state = -1;
  for (int i = 0; i < 500 && state != SP_STATE_OPENING; ++i) {
    sp_get_state(p, &state);
    std::this_thread::sleep_for(2ms);
  }
  REQUIRE(state == SP_STATE_OPENING);
  std::this_thread::sleep_for(200ms); // well into the wait for an answer
  CHECK(sp_stop(p) == SP_OK);
  opener.join();
  CHECK(open_result.load() == SP_ERR_INVALID_STATE);
  CHECK(open_error.find("cancelled by sp_stop") != std::string::npos);
  REQUIRE(sp_get_state(p, &state) == SP_OK);
  CHECK(state == SP_STATE_IDLE);
  close(s);
  // The player is as good as new.
  ClipSpec spec;
  spec.seconds = 1;
  CHECK(sp_open(p, make_clip(spec).c_str(), nullptr) == SP_OK);
  sp_player_destroy(p);
}

TEST_CASE("network: a server slower than the media: playback waits for data (SP_EVENT_BUFFERING), no picture "
          "skipped") {
  HttpServer srv;
  const std::string clip = srv.add_clip("clip.mp4", 4);
  // Half the media's byte rate: the input runs dry again and again.
  const auto rate = std::filesystem::file_size(clip) / 4 / 2;
  Host host;
  sp_player *p = make_player(host);
  REQUIRE(sp_open(p, srv.url("slow/" + std::to_string(rate) + "/clip.mp4").c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  std::vector<int64_t> positions;
  std::atomic<bool> done{false};
  std::thread watcher([&] { // the position never runs backwards
    while (!done.load()) {
      int64_t pos = 0;
      sp_get_position_ms(p, &pos);
      positions.push_back(pos);
      std::this_thread::sleep_for(20ms);
    }
  });
  const bool ended = host.wait([&] { return host.count(SP_EVENT_END_OF_FILE) >= 1; }, 60s);
  done.store(true);
  watcher.join();
  REQUIRE(ended);
  sp_stats st{};
  st.struct_size = sizeof st;
  REQUIRE(sp_get_stats(p, &st) == SP_OK);
  int state = -1;
  REQUIRE(sp_get_state(p, &state) == SP_OK);
  CHECK(state == SP_STATE_ENDED);
  sp_player_destroy(p);
  std::vector<int64_t> buffering; // the values, in order
  {
    std::lock_guard lk(host.mu);
    for (auto &e : host.events)
      if (e.type == SP_EVENT_BUFFERING) buffering.push_back(e.value);
  }
  REQUIRE(!buffering.empty());
  CHECK(buffering.front() == 1);
  for (size_t i = 0; i < buffering.size(); ++i)
    CHECK(buffering[i] == (i % 2 == 0 ? 1 : 0)); // waits and goes on, in turn
  CHECK(buffering.size() % 2 == 0);              // and went on before the end
  for (size_t i = 1; i < positions.size(); ++i)
    CHECK(positions[i] >= positions[i - 1]);
  // Waiting instead of running on: pictures are shown, not dropped as late.
  INFO("shown " << st.frames_displayed << ", dropped " << st.frames_dropped);
  CHECK(st.frames_displayed >= 90);
}
