// Shared test helpers: temporary folders and media clips made with the ffmpeg
// command (real files, decoded for real by the library).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace sp_test {

// A fresh folder under the build's test data dir, removed at destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

struct ClipSpec {
  int seconds = 4;
  int width = 320;
  int height = 240;
  int fps = 25;
  bool audio = true;
  int gop = 25;             // keyframe interval in frames
  bool frame_number = true; // encode the frame index into the picture (see frame_index_from_rgba)
  std::string vcodec = "libx264";
  std::string container = "mp4";
};

// Make a clip at `path` (cached by spec in SP_TEST_DATA so tests share them).
// Frame i shows a 16-cell binary code of i along its top rows (white = 1, black
// = 0), readable back exactly after lossy coding with frame_index_from_rgba().
// Keyframes exactly every `gop` frames (no scene-cut keyframes). Audio: a 440 Hz sine. Throws
// std::runtime_error if ffmpeg fails.
std::string make_clip(const ClipSpec &spec = {});

// Decode the frame index written by make_clip from an RGBA32 picture.
int64_t frame_index_from_rgba(const uint8_t *rgba, int width, int height, int linesize);

// Run a shell command; returns its exit status.
int run(const std::string &cmd);
// Run and capture stdout.
std::string run_capture(const std::string &cmd, int *status = nullptr);

// A loopback TCP port that nothing listens on (bound once, then closed).
int closed_port();

// The kernel's context-switch counts of one thread of this process
// (/proc/self/task/<tid>/status and comm). Every return from a blocking wait
// is one voluntary switch, so a sleeping thread's counts do not move.
struct ThreadSwitches {
  long tid = 0;
  std::string name; // comm: pthread name, at most 15 characters
  long voluntary = 0, involuntary = 0;
  long total() const { return voluntary + involuntary; }
};
// Every thread of this process.
std::vector<ThreadSwitches> thread_switches();
// The calling thread.
ThreadSwitches this_thread_switches();
// Per thread, the switches between two snapshots (threads matched by tid; a
// thread that started in between counts from zero, one that ended is left out).
std::vector<ThreadSwitches> switches_between(const std::vector<ThreadSwitches> &before,
                                             const std::vector<ThreadSwitches> &after);
// Sum of total() over the threads whose name starts with `prefix`.
long total_switches(const std::vector<ThreadSwitches> &threads, const std::string &prefix);
// "name: voluntary+involuntary, ..." for messages.
std::string describe(const std::vector<ThreadSwitches> &threads);

// Built with ThreadSanitizer: its runtime adds a thread of its own (named
// like the main thread) and its slower locks make threads block more often,
// so wake-up counts of a busy (playing) player mean little there; counts of
// an idle player still hold.
#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

// Run `body` in a child process as an unprivileged user and return what it
// returns ("" = passed, else what failed). When the tests run as root (CI
// does), the child drops to nobody (setgroups, setresgid, setresuid 65534)
// for good before running `body`, so file modes really apply to it; as any
// other user it runs as that user. Catch2's macros must not be used inside
// `body` (it runs in another process): return a message instead.
std::string run_unprivileged(const std::function<std::string()> &body);

// A fresh folder under /tmp that an unprivileged child can reach and write
// (mode 0777; the build tree may sit under a folder only root can enter).
// Removed at destruction.
class SharedTempDir {
public:
  SharedTempDir();
  ~SharedTempDir();
  SharedTempDir(const SharedTempDir &) = delete;
  SharedTempDir &operator=(const SharedTempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

// Locations from CTest's environment.
std::string source_dir();
std::string binary_dir();

} // namespace sp_test
