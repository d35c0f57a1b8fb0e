// The C API: a thin, exception-free layer over sp::Player. Every entry point
// validates its arguments, catches everything, and turns failures into
// result codes (with the message in the handle's last error).
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "core/thread_name.h"
#include "player/config.h"
#include "player/player.h"
#include "smartplayer.h"

struct sp_config {
  sp::PlayerConfig cfg;
  std::string last_error; // of the most recent sp_config_set ("" if it succeeded)
};

struct sp_player {
  std::unique_ptr<sp::Player> impl;
};

namespace {

const char *const kNullHandle = "the sp_player handle is NULL";
// Why this thread's last sp_player_create failed (there is no handle to hold it).
thread_local std::string t_create_error;

// Run f() and map any escaping exception to a result code.
template <class F> int guarded(const sp_player *p, F &&f) {
  try {
    return f();
  } catch (const std::bad_alloc &) {
    if (p && p->impl) p->impl->fail(SP_ERR_NO_MEMORY, "out of memory");
    return SP_ERR_NO_MEMORY;
  } catch (const std::exception &e) {
    if (p && p->impl) p->impl->fail(SP_ERR_INTERNAL, std::string("internal error: ") + e.what());
    return SP_ERR_INTERNAL;
  } catch (...) {
    if (p && p->impl) p->impl->fail(SP_ERR_INTERNAL, "internal error");
    return SP_ERR_INTERNAL;
  }
}

// An entry point on a player, as SQLite's API does it: the handle checked
// first (a NULL handle has nowhere to keep a message), then f() behind the
// exception barrier.
template <class P, class F> int call(P *p, F &&f) {
  if (!p || !p->impl) return SP_ERR_INVALID_ARGUMENT;
  return guarded(p, std::forward<F>(f));
}

// The same with an output pointer, which must not be NULL.
template <class P, class T, class F> int call_out(P *p, T *out, const char *fn, F &&f) {
  if (!p || !p->impl) return SP_ERR_INVALID_ARGUMENT;
  if (!out) return p->impl->fail(SP_ERR_INVALID_ARGUMENT, std::string(fn) + ": output pointer is NULL");
  return guarded(p, std::forward<F>(f));
}

// A getter: *out = value(), behind the same checks.
template <class P, class T, class V> int get(P *p, T *out, const char *fn, V &&value) {
  return call_out(p, out, fn, [&] {
    *out = value();
    return SP_OK;
  });
}

// ---- Versioned structs (smartplayer.h, "STRUCTS THAT GROW") ----

// A struct the host filled or wants filled must say how large its copy is.
template <class T> int check_struct_size(const sp_player *p, const T &s, const char *fn, const char *type) {
  if (s.struct_size >= sizeof(size_t)) return SP_OK;
  return p->impl->fail(SP_ERR_INVALID_ARGUMENT, std::string(fn) + ": " + type + ".struct_size is " +
                                                    std::to_string(s.struct_size) + "; set it to sizeof(" +
                                                    type + ")");
}

// The bytes of a host struct past what this library knows (a newer header)
// must be zero: a set field there is something this version cannot honour.
template <class T> bool unknown_tail_is_zero(const T &s) {
  const auto *bytes = reinterpret_cast<const unsigned char *>(&s);
  for (size_t i = sizeof(T); i < s.struct_size; ++i)
    if (bytes[i] != 0) return false;
  return true;
}

// Copy a filled struct out to a host copy of struct_size bytes: at most that
// many bytes are written (an older, smaller struct gets the fields it has);
// struct_size becomes the number written. Every field is appended whole, so
// a size from a real older header always ends on a field boundary.
template <class T> void copy_out(T *dst, T src) {
  size_t n = std::min(dst->struct_size, sizeof(T));
  src.struct_size = n;
  std::memcpy(static_cast<void *>(dst), &src, n);
}

// The media meta fields of a host struct that lie wholly within its struct_size.
#define SP_META_FIELD(in, out, field)                                                                        \
  do {                                                                                                       \
    if (offsetof(sp_media_meta, field) + sizeof((in)->field) <= (in)->struct_size)                           \
      (out).field = (in)->field;                                                                             \
  } while (0)

int read_meta(const sp_player *p, const sp_media_meta *in, sp_media_meta &out) {
  out = sp_media_meta{};
  out.struct_size = sizeof out;
  if (!in) return SP_OK;
  if (int r = check_struct_size(p, *in, "sp_open", "sp_media_meta"); r != SP_OK) return r;
  if (!unknown_tail_is_zero(*in))
    return p->impl->fail(SP_ERR_UNSUPPORTED, "sp_open: sp_media_meta has fields that libsmartplayer " +
                                                 std::string(sp_version_string()) +
                                                 " does not know (struct_size " +
                                                 std::to_string(in->struct_size) + " > " +
                                                 std::to_string(sizeof(sp_media_meta)) + ")");
  SP_META_FIELD(in, out, video_id);
  SP_META_FIELD(in, out, title);
  SP_META_FIELD(in, out, genre);
  SP_META_FIELD(in, out, viewer_id);
  return SP_OK;
}

} // namespace

extern "C" {

SP_API sp_config *sp_config_create(void) {
  try {
    return new sp_config{};
  } catch (...) {
    return nullptr;
  }
}

SP_API void sp_config_destroy(sp_config *cfg) {
  delete cfg;
}

SP_API int sp_config_set(sp_config *cfg, const char *key, const char *value) {
  if (!cfg) return SP_ERR_INVALID_ARGUMENT;
  try {
    cfg->last_error.clear();
    if (!key || !value) {
      cfg->last_error = std::string("sp_config_set: ") + (key ? "the value is NULL" : "the key is NULL");
      return SP_ERR_INVALID_ARGUMENT;
    }
    std::string err;
    int r = cfg->cfg.set(key, value, err);
    if (r != SP_OK) cfg->last_error = err.empty() ? sp_strerror(r) : err;
    return r;
  } catch (...) {
    cfg->last_error.clear(); // no room for a message: sp_strerror(SP_ERR_NO_MEMORY) says it
    return SP_ERR_NO_MEMORY;
  }
}

SP_API const char *sp_config_last_error(const sp_config *cfg) {
  if (!cfg) return "the sp_config handle is NULL";
  return cfg->last_error.c_str();
}

SP_API int sp_player_create(const sp_config *cfg, sp_player **out) {
  if (!out) return SP_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  t_create_error.clear();
  try {
    sp::PlayerConfig c = cfg ? cfg->cfg : sp::PlayerConfig{};
    std::unique_ptr<sp::Player> impl;
    std::string err;
    int r = sp::Player::create(c, impl, err);
    if (r != SP_OK) {
      t_create_error = err.empty() ? sp_strerror(r) : err;
      return r;
    }
    auto *p = new sp_player{std::move(impl)};
    *out = p;
    return SP_OK;
  } catch (const std::bad_alloc &) {
    return SP_ERR_NO_MEMORY;
  } catch (...) {
    return SP_ERR_INTERNAL;
  }
}

SP_API void sp_player_destroy(sp_player *p) {
  if (!p) return;
  // Destroyed while the handle still points at it: callbacks that run during
  // the shutdown (the control plane's last sleep signal, the last events) may
  // call the getters on this handle. unique_ptr::reset would null the pointer
  // first, under their feet. Nothing reads it once the destructor returned
  // (every library thread is joined by then).
  auto destroy = [p] {
    delete p->impl.get();
    (void)p->impl.release();
    delete p;
  };
  if (!sp::Player::calling_from_callback()) {
    destroy();
    return;
  }
  // From a callback (the host ends the player at the end of the file): the
  // destructor joins the thread running that callback, so it runs on a
  // thread of its own, once the callback has returned.
  try {
    std::thread([destroy] {
      sp::set_thread_name("sp-destroy");
      destroy();
    }).detach();
  } catch (...) {
    // No thread can be started: the player cannot be freed from here
    // without waiting for itself; it is left as it is (a leak, not a hang).
  }
}

SP_API const char *sp_player_last_error(const sp_player *p) {
  if (!p) return t_create_error.empty() ? kNullHandle : t_create_error.c_str();
  if (!p->impl) return kNullHandle;
  return p->impl->last_error();
}

SP_API int sp_open(sp_player *p, const char *url, const sp_media_meta *meta) {
  return call(p, [&] {
    sp_media_meta m;
    if (int r = read_meta(p, meta, m); r != SP_OK) return r;
    return p->impl->open(url, meta ? &m : nullptr);
  });
}

SP_API int sp_play(sp_player *p) {
  return call(p, [&] { return p->impl->play(); });
}
SP_API int sp_pause(sp_player *p) {
  return call(p, [&] { return p->impl->pause(); });
}
SP_API int sp_toggle_pause(sp_player *p) {
  return call(p, [&] { return p->impl->toggle_pause(); });
}
SP_API int sp_seek(sp_player *p, int64_t target_ms, int flags) {
  return call(p, [&] { return p->impl->seek(target_ms, flags); });
}
SP_API int sp_step(sp_player *p) {
  return call(p, [&] { return p->impl->step(); });
}
SP_API int sp_set_rate(sp_player *p, double rate) {
  return call(p, [&] { return p->impl->set_rate(rate); });
}
SP_API int sp_set_volume(sp_player *p, int volume) {
  return call(p, [&] { return p->impl->set_volume(volume); });
}
SP_API int sp_set_mute(sp_player *p, int mute) {
  return call(p, [&] { return p->impl->set_mute(mute); });
}
SP_API int sp_stop(sp_player *p) {
  return call(p, [&] { return p->impl->stop(); });
}
SP_API int sp_skip(sp_player *p, int direction) {
  return call(p, [&] { return p->impl->skip(direction); });
}

SP_API int sp_get_state(const sp_player *p, int *state) {
  return get(p, state, "sp_get_state", [&] { return p->impl->get_state(); });
}
SP_API int sp_get_position_ms(const sp_player *p, int64_t *pos_ms) {
  return get(p, pos_ms, "sp_get_position_ms", [&] { return p->impl->get_position_ms(); });
}
SP_API int sp_get_duration_ms(const sp_player *p, int64_t *dur_ms) {
  return get(p, dur_ms, "sp_get_duration_ms", [&] { return p->impl->get_duration_ms(); });
}
SP_API int sp_get_buffered_ms(const sp_player *p, int64_t *buffered_ms) {
  return get(p, buffered_ms, "sp_get_buffered_ms", [&] { return p->impl->get_buffered_ms(); });
}
SP_API int sp_get_rate(const sp_player *p, double *rate) {
  return get(p, rate, "sp_get_rate", [&] { return p->impl->get_rate(); });
}
SP_API int sp_get_volume(const sp_player *p, int *volume) {
  return get(p, volume, "sp_get_volume", [&] { return p->impl->get_volume(); });
}
SP_API int sp_get_mute(const sp_player *p, int *mute) {
  return get(p, mute, "sp_get_mute", [&] { return p->impl->get_mute() ? 1 : 0; });
}
SP_API int sp_get_media_info(const sp_player *p, sp_media_info *info) {
  return call_out(p, info, "sp_get_media_info", [&] {
    if (int r = check_struct_size(p, *info, "sp_get_media_info", "sp_media_info"); r != SP_OK) return r;
    sp_media_info full{};
    int r = p->impl->get_media_info(full);
    if (r == SP_OK) copy_out(info, full);
    return r;
  });
}
SP_API int sp_get_session_id(const sp_player *p, int64_t *session_id) {
  return get(p, session_id, "sp_get_session_id", [&] { return p->impl->session_id(); });
}

SP_API int sp_set_event_callback(sp_player *p, sp_event_fn fn, void *user) {
  return call(p, [&] { return p->impl->set_event_callback(fn, user); });
}
SP_API int sp_set_video_callback(sp_player *p, sp_video_fn fn, int format, void *user) {
  return call(p, [&] { return p->impl->set_video_callback(fn, format, user); });
}
SP_API int sp_audio_read(sp_player *p, int16_t *buf, int frames) {
  return call(p, [&] { return p->impl->audio_read(buf, frames); });
}
SP_API int sp_sdl_pump(sp_player *p) {
  return call(p, [&] { return p->impl->sdl_pump(); });
}
SP_API int sp_sdl_wait(sp_player *p, int timeout_ms) {
  return call(p, [&] { return p->impl->sdl_wait(timeout_ms); });
}
SP_API int sp_sdl_wakeup(sp_player *p) {
  return call(p, [&] { return p->impl->sdl_wakeup(); });
}

SP_API int sp_set_control_callback(sp_player *p, sp_control_fn fn, void *user) {
  return call(p, [&] { return p->impl->set_control_callback(fn, user); });
}
SP_API int sp_get_control_state(const sp_player *p, int *state, int64_t *wakes_in_ms) {
  return call_out(p, state, "sp_get_control_state", [&] {
    int64_t unused = 0;
    return p->impl->control_state(state, wakes_in_ms ? wakes_in_ms : &unused);
  });
}
SP_API int sp_get_stats(const sp_player *p, sp_stats *st) {
  return call_out(p, st, "sp_get_stats", [&] {
    if (int r = check_struct_size(p, *st, "sp_get_stats", "sp_stats"); r != SP_OK) return r;
    sp_stats full{};
    full.struct_size = sizeof full;
    int r = p->impl->stats(full);
    if (r == SP_OK) copy_out(st, full);
    return r;
  });
}
SP_API int sp_get_predicted_windows(const sp_player *p, sp_window *out, int max, int *count) {
  return call_out(p, count, "sp_get_predicted_windows", [&] {
    if (max < 0 || (max > 0 && !out))
      return p->impl->fail(SP_ERR_INVALID_ARGUMENT, "sp_get_predicted_windows: out is NULL or max < 0");
    return p->impl->predicted_windows(out, max, count);
  });
}

} // extern "C"
