// FFmpeg's log, delivered to the player it belongs to instead of the host's
// stderr (docs/architecture.md, "FFmpeg's log").
//
// FFmpeg has one log callback per process (av_log_set_callback). The first
// LogRoute installs ours and it stays installed. Each message goes to one
// route: the route of the FFmpeg context it is about (contexts are tagged
// when they are created under a LogScope, which covers FFmpeg's own worker
// threads), else the route of the thread that produced it (LogScope). A
// route passes on the messages at or below its level and drops the rest;
// the default level is Quiet. A message no route claims (the host's own use
// of FFmpeg) goes to FFmpeg's default handler, filtered at the level the
// host had set (av_log_get_level()) before the first route was made, so a
// host that uses FFmpeg directly keeps its own output. A host that later
// installs its own av_log callback replaces ours for the whole process.
//
// Thread safety: every function and method here may be called from any
// thread. A route's deliver function is called on FFmpeg's threads (the
// library's decoder threads and FFmpeg's workers) with the registry locked:
// it must only hand the message on (it must not block or call FFmpeg).
#pragma once
#include <functional>
#include <string>

struct AVCodecContext;
struct AVFormatContext;

namespace sp {

// In the order of the public sp_log_level (Quiet: nothing).
enum class LogLevel { Quiet = 0, Error = 1, Warning = 2, Info = 3, Verbose = 4, Debug = 5 };

// "quiet", "error", "warning", "info", "verbose", "debug".
bool log_level_from_name(const std::string &name, LogLevel &out);

class LogRoute {
public:
  // deliver(level, line): one whole line, without its newline, prefixed with
  // the FFmpeg component that wrote it ("[mov,mp4,m4a,3gp,3g2,mj2] moov atom
  // not found").
  using Deliver = std::function<void(LogLevel, std::string)>;
  LogRoute(LogLevel level, Deliver deliver);
  // After the destructor returns, deliver is never called again.
  ~LogRoute();
  LogRoute(const LogRoute &) = delete;
  LogRoute &operator=(const LogRoute &) = delete;

  LogLevel level() const { return level_; }

private:
  friend struct LogRegistry;
  const LogLevel level_;
  const Deliver deliver_;
};

// While alive, FFmpeg messages from this thread (and from contexts created
// on it, see tag_log_context) go to `route` (nullptr: none). Scopes nest.
class LogScope {
public:
  explicit LogScope(const LogRoute *route);
  ~LogScope();
  LogScope(const LogScope &) = delete;
  LogScope &operator=(const LogScope &) = delete;

private:
  const LogRoute *prev_;
};

// Tag a context just created with the calling thread's route, so that the
// messages FFmpeg's own threads write about it find their player. Uses the
// context's `opaque` field, which the library does not otherwise use.
void tag_log_context(AVCodecContext *ctx);
void tag_log_context(AVFormatContext *ctx);

} // namespace sp
