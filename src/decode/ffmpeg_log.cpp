#include "decode/ffmpeg_log.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <set>

#include "core/redact.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

namespace sp {

namespace {

thread_local const LogRoute *t_route = nullptr;

// FFmpeg's level for each LogLevel, in its order.
constexpr int kAvLevel[] = {AV_LOG_QUIET, AV_LOG_ERROR, AV_LOG_WARNING, AV_LOG_INFO, AV_LOG_VERBOSE, AV_LOG_DEBUG};
static_assert(std::size(kAvLevel) == static_cast<size_t>(LogLevel::Debug) + 1, "one FFmpeg level a LogLevel");

int av_level_of(LogLevel l) {
  const auto i = static_cast<size_t>(l);
  return i < std::size(kAvLevel) ? kAvLevel[i] : AV_LOG_QUIET;
}

LogLevel level_of_av(int av) {
  if (av <= AV_LOG_ERROR) return LogLevel::Error; // panic, fatal, error
  if (av <= AV_LOG_WARNING) return LogLevel::Warning;
  if (av <= AV_LOG_INFO) return LogLevel::Info;
  if (av <= AV_LOG_VERBOSE) return LogLevel::Verbose;
  return LogLevel::Debug; // debug, trace
}

// The route a context was tagged with, if avcl is a context we tag.
const LogRoute *route_of_context(void *avcl) {
  if (!avcl) return nullptr;
  const AVClass *cls = *static_cast<const AVClass *const *>(avcl);
  if (cls == avcodec_get_class())
    return static_cast<const LogRoute *>(static_cast<AVCodecContext *>(avcl)->opaque);
  if (cls == avformat_get_class())
    return static_cast<const LogRoute *>(static_cast<AVFormatContext *>(avcl)->opaque);
  return nullptr;
}

void log_callback(void *avcl, int level, const char *fmt, va_list vl);

} // namespace

struct LogRegistry {
  std::mutex mu;
  std::set<const LogRoute *> routes;
  bool installed = false;
  std::atomic<int> host_level{AV_LOG_INFO}; // what the host had before our first route

  static LogRegistry &get() {
    // Never destroyed: FFmpeg may call back (and a leaked player may end)
    // after static destructors have run.
    static LogRegistry *r = new LogRegistry;
    return *r;
  }

  // FFmpeg filters by av_log_level before calling back: let through what
  // the most verbose route or the host wants. Called with mu held.
  void update_level() {
    int lvl = host_level.load();
    for (const LogRoute *r : routes)
      lvl = std::max(lvl, av_level_of(r->level_));
    av_log_set_level(lvl);
  }

  void add(const LogRoute *r) {
    std::lock_guard lk(mu);
    if (!installed) {
      host_level = av_log_get_level();
      av_log_set_callback(&log_callback);
      installed = true;
    }
    routes.insert(r);
    update_level();
  }
  void remove(const LogRoute *r) {
    std::lock_guard lk(mu);
    routes.erase(r);
    update_level();
  }

  // The first of a, b that is a live route, with its level (null: none).
  const LogRoute *claim(const LogRoute *a, const LogRoute *b, LogLevel &level) {
    std::lock_guard lk(mu);
    for (const LogRoute *r : {a, b})
      if (r && routes.count(r)) {
        level = r->level_;
        return r;
      }
    return nullptr;
  }

  // Hands a line to r if it is still alive.
  void deliver(const LogRoute *r, LogLevel level, const std::string &line) {
    std::lock_guard lk(mu);
    if (routes.count(r) && level <= r->level_) r->deliver_(level, line);
  }
};

namespace {

// One line per message: FFmpeg sometimes writes a line in pieces (no '\n'
// until the last); the pieces of each thread wait here.
struct Pending {
  const LogRoute *route = nullptr;
  int level = AV_LOG_QUIET;
  std::string text;
};
thread_local Pending t_pending;
constexpr size_t kMaxLine = 4096;

void log_callback(void *avcl, int level, const char *fmt, va_list vl) {
  LogRegistry &reg = LogRegistry::get();
  LogLevel wanted = LogLevel::Quiet;
  const LogRoute *route = reg.claim(route_of_context(avcl), t_route, wanted);
  if (!route) {
    // Nobody's: the host's own FFmpeg use. FFmpeg's default handler, at the
    // level the host chose.
    if (level <= reg.host_level) av_log_default_callback(avcl, level, fmt, vl);
    return;
  }
  Pending &p = t_pending;
  const bool continues = !p.text.empty() && p.route == route;
  if (!continues && level_of_av(level) > wanted) return; // below the route's level: not even formatted
  char piece[1024];
  std::vsnprintf(piece, sizeof piece, fmt, vl);
  if (!continues) {
    p.text.clear();
    p.route = route;
    p.level = level;
    const AVClass *cls = avcl ? *static_cast<const AVClass *const *>(avcl) : nullptr;
    if (cls && cls->item_name) {
      const char *name = cls->item_name(avcl);
      char prefix[128];
      std::snprintf(prefix, sizeof prefix, "[%s] ", name ? name : "?");
      p.text.assign(prefix);
    }
  }
  p.level = std::min(p.level, level);
  p.text += piece;
  const bool whole = p.text.back() == '\n';
  if (!whole && p.text.size() < kMaxLine) return;
  std::string line = std::move(p.text);
  p.text.clear();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  // FFmpeg names the URL it opens, credentials and all.
  if (!line.empty()) reg.deliver(route, level_of_av(p.level), redact_credentials(line));
}

} // namespace

bool log_level_from_name(const std::string &name, LogLevel &out) {
  static const std::pair<const char *, LogLevel> names[] = {
      {"quiet", LogLevel::Quiet}, {"error", LogLevel::Error},     {"warning", LogLevel::Warning},
      {"info", LogLevel::Info},   {"verbose", LogLevel::Verbose}, {"debug", LogLevel::Debug}};
  for (const auto &[n, l] : names)
    if (name == n) {
      out = l;
      return true;
    }
  return false;
}

LogRoute::LogRoute(LogLevel level, Deliver deliver) : level_(level), deliver_(std::move(deliver)) {
  LogRegistry::get().add(this);
}

LogRoute::~LogRoute() {
  LogRegistry::get().remove(this);
}

LogScope::LogScope(const LogRoute *route) : prev_(t_route) {
  t_route = route;
}
LogScope::~LogScope() {
  t_route = prev_;
}

void tag_log_context(AVCodecContext *ctx) {
  if (ctx) ctx->opaque = const_cast<LogRoute *>(t_route);
}
void tag_log_context(AVFormatContext *ctx) {
  if (ctx) ctx->opaque = const_cast<LogRoute *>(t_route);
}

} // namespace sp
