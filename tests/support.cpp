#include "support.h"

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <grp.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace sp_test {
namespace {
fs::path data_root() {
  const char *d = std::getenv("SP_TEST_DATA");
  fs::path p = d ? fs::path(d) : fs::temp_directory_path() / "sp_test_data";
  fs::create_directories(p);
  return p;
}
} // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = data_root() / ("tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int run(const std::string &cmd) {
  int st = std::system(cmd.c_str());
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string run_capture(const std::string &cmd, int *status) {
  std::string out;
  FILE *f = popen(cmd.c_str(), "r");
  if (!f) throw std::runtime_error("popen failed: " + cmd);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0)
    out.append(buf.data(), n);
  int st = pclose(f);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return out;
}

std::string make_clip(const ClipSpec &s) {
  std::string name = "clip_" + std::to_string(s.seconds) + "s_" + std::to_string(s.width) + "x" +
                     std::to_string(s.height) + "_" + std::to_string(s.fps) + "fps_g" +
                     std::to_string(s.gop) + (s.audio ? "_a" : "_na") + (s.frame_number ? "_n" : "") + "_" +
                     s.vcodec + "_k." + s.container;
  fs::path out = data_root() / name;
  if (fs::exists(out) && fs::file_size(out) > 0) return out.string();
  // Binary code of the frame number n: 16 cells across the top 1/4 of the
  // picture, cell b is white iff bit b of n is set. Built with geq from the
  // frame number N so it is exact and survives compression.
  std::string w = std::to_string(s.width), h = std::to_string(s.height);
  std::string vf = "format=gray,geq=lum='if(lt(Y,H/4),255*mod(floor(N/pow(2,floor(X*16/W))),2),128)',"
                   "format=yuv420p";
  std::string tmp = out.string() + ".part." + std::to_string(getpid()) + "." + s.container;
  std::string cmd = "ffmpeg -hide_banner -loglevel error -y -f lavfi -i color=c=gray:size=" + w + "x" + h +
                    ":rate=" + std::to_string(s.fps) + ":duration=" + std::to_string(s.seconds);
  if (s.audio)
    cmd += " -f lavfi -i sine=frequency=440:sample_rate=48000:duration=" + std::to_string(s.seconds);
  if (s.frame_number) cmd += " -vf \"" + vf + "\"";
  cmd += " -c:v " + s.vcodec + " -g " + std::to_string(s.gop);
  if (s.vcodec == "libx264")
    cmd += " -preset veryfast -crf 18 -bf 2 -sc_threshold 0"; // keyframes exactly every gop
  cmd += " -pix_fmt yuv420p";
  if (s.audio) cmd += " -c:a aac -b:a 96k";
  cmd += " \"" + tmp + "\" </dev/null";
  if (run(cmd) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
  fs::rename(tmp, out);
  return out.string();
}

int64_t frame_index_from_rgba(const uint8_t *rgba, int width, int height, int linesize) {
  int64_t n = 0;
  int y = height / 8;
  for (int b = 0; b < 16; ++b) {
    int x = (2 * b + 1) * width / 32;
    const uint8_t *px = rgba + static_cast<ptrdiff_t>(y) * linesize + static_cast<ptrdiff_t>(x) * 4;
    if (px[0] > 128) n |= (int64_t{1} << b);
  }
  return n;
}

int closed_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr *>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

namespace {
ThreadSwitches read_switches(const fs::path &task_dir) {
  ThreadSwitches t;
  t.tid = std::stol(task_dir.filename().string());
  std::ifstream comm(task_dir / "comm");
  std::getline(comm, t.name);
  std::ifstream status(task_dir / "status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) t.voluntary = std::stol(line.substr(24));
    if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) t.involuntary = std::stol(line.substr(27));
  }
  return t;
}
} // namespace

std::vector<ThreadSwitches> thread_switches() {
  std::vector<ThreadSwitches> out;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/proc/self/task", ec)) {
    try {
      out.push_back(read_switches(e.path()));
    } catch (const std::exception &) {
      // The thread ended while we looked.
    }
  }
  return out;
}

ThreadSwitches this_thread_switches() {
  return read_switches(fs::path("/proc/self/task") / std::to_string(gettid()));
}

std::vector<ThreadSwitches> switches_between(const std::vector<ThreadSwitches> &before,
                                             const std::vector<ThreadSwitches> &after) {
  std::vector<ThreadSwitches> out;
  for (const auto &a : after) {
    ThreadSwitches d = a;
    for (const auto &b : before)
      if (b.tid == a.tid) {
        d.voluntary -= b.voluntary;
        d.involuntary -= b.involuntary;
      }
    out.push_back(d);
  }
  return out;
}

long total_switches(const std::vector<ThreadSwitches> &threads, const std::string &prefix) {
  long n = 0;
  for (const auto &t : threads)
    if (t.name.rfind(prefix, 0) == 0) n += t.total();
  return n;
}

std::string describe(const std::vector<ThreadSwitches> &threads) {
  std::string s;
  for (const auto &t : threads)
    s += (s.empty() ? "" : ", ") + t.name + ": " + std::to_string(t.voluntary) + "+" +
         std::to_string(t.involuntary);
  return s;
}

std::string source_dir() {
  const char *d = std::getenv("SP_SOURCE_DIR");
  return d ? d : ".";
}
std::string binary_dir() {
  const char *d = std::getenv("SP_BINARY_DIR");
  return d ? d : ".";
}

std::string run_unprivileged(const std::function<std::string()> &body) {
  int fds[2];
  if (pipe(fds) != 0) return std::string("pipe: ") + std::strerror(errno);
  std::fflush(nullptr); // nothing buffered is written twice
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {
    close(fds[0]);
    std::string result;
    if (geteuid() == 0) {
      const uid_t nobody = 65534;
      if (setgroups(0, nullptr) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
          setresuid(nobody, nobody, nobody) != 0)
        result = std::string("cannot drop root privileges: ") + std::strerror(errno);
      else if (geteuid() != nobody || getuid() != nobody || getegid() != nobody || setuid(0) == 0)
        result = "root privileges were not dropped";
    }
    if (result.empty()) {
      try {
        result = body();
      } catch (const std::exception &e) {
        result = std::string("exception: ") + e.what();
      } catch (...) {
        result = "exception";
      }
    }
    for (size_t off = 0; off < result.size();) {
      ssize_t n = write(fds[1], result.data() + off, result.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0); // no atexit handlers: the parent's state is the parent's
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return std::string("waitpid: ") + std::strerror(errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "the unprivileged child died (wait status " + std::to_string(status) + ")" +
           (out.empty() ? "" : ": " + out);
  return out;
}

SharedTempDir::SharedTempDir() {
  char tmpl[] = "/tmp/sp-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = tmpl;
  fs::permissions(path_, fs::perms::all);
}

SharedTempDir::~SharedTempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

} // namespace sp_test
