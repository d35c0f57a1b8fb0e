#include "player/player.h"

#include "core/clock.h"
#include "core/redact.h"
#include "core/saturating.h"
#include "core/wall_clock.h"
#include "player/c_types.h"
#include "player/media_meta.h"

#include <SDL.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace sp {
namespace {
// How many libsmartplayer callbacks (of any player) the calling thread is
// inside: calls made from there must not wait for library threads. Of them,
// how many are video or control callbacks, whose threads (sp-present,
// sp-control) sp_open waits for; the event thread (sp-events) it does not.
thread_local int t_callback_depth = 0;
thread_local int t_engine_callback_depth = 0;

enum class CallbackKind { Event, VideoOrControl };

struct InCallback {
  explicit InCallback(CallbackKind k) : engine_(k == CallbackKind::VideoOrControl) {
    ++t_callback_depth;
    if (engine_) ++t_engine_callback_depth;
  }
  ~InCallback() {
    --t_callback_depth;
    if (engine_) --t_engine_callback_depth;
  }
  InCallback(const InCallback &) = delete;
  InCallback &operator=(const InCallback &) = delete;

private:
  bool engine_;
};

bool in_callback() {
  return t_callback_depth > 0;
}
} // namespace

bool Player::calling_from_callback() {
  return in_callback();
}

Player::Player(const PlayerConfig &cfg) : cfg_(cfg), creator_(std::this_thread::get_id()) {}

int Player::create(const PlayerConfig &cfg, std::unique_ptr<Player> &out, std::string &err) {
  std::unique_ptr<Player> p(new Player(cfg));
  p->sink_ = std::make_unique<AudioSink>(cfg.audio_rate);
  p->dispatcher_ = std::make_unique<Dispatcher>();
  if (cfg.audio_output == PlayerConfig::Output::Sdl) {
    // The device is released on the dispatcher thread when a pause lasts.
    Dispatcher *d = p->dispatcher_.get();
    SdlAudio::Timers timers{[d](double delay_s, std::function<void()> task) {
                              return d->post_at(now_s() + delay_s, std::move(task));
                            },
                            [d](uint64_t id) { d->cancel(id); }};
    p->sdl_audio_ = std::make_unique<SdlAudio>();
    Player *self = p.get();
    p->sdl_audio_->set_error_handler(
        [self](const std::string &msg) { self->on_error(SP_ERR_AUDIO_DEVICE, msg); });
    int r = p->sdl_audio_->open(p->sink_.get(), cfg.audio_rate, cfg.audio_release_ms, std::move(timers), err);
    if (r != SP_OK) return r;
  }
  if (cfg.video_output == PlayerConfig::Output::Sdl) {
    p->sdl_video_ = std::make_unique<SdlVideo>();
    int r = p->sdl_video_->create(cfg.window_title, cfg.window_width, cfg.window_height, err);
    if (r != SP_OK) return r;
  }
  Player *me = p.get();
  p->log_route_ = std::make_unique<LogRoute>(cfg.log_level, [me](LogLevel level, std::string line) {
    me->emit(Event{EventType::Log, SP_OK, static_cast<int64_t>(level), 0, 0, std::move(line)});
  });

  ControlOptions co;
  co.db_path = cfg.db;
  co.busy_timeout_ms = cfg.db_busy_timeout_ms;
  co.batch_ms = cfg.log_batch_ms;
  co.policy = cfg.policy;
  co.cost = cfg.cost;
  co.timeout_s = cfg.timeout_s;
  co.strict = cfg.strict;
  co.online_learning = cfg.online_learning;
  co.policy_override = cfg.policy_override;
  Player *self = p.get();
  int r = ControlPlane::create(
      co, self, [self](Event ev) { self->emit(std::move(ev)); }, p->control_, err);
  if (r != SP_OK) return r;
  out = std::move(p);
  return SP_OK;
}

Player::~Player() {
  std::lock_guard open_lk(open_mu_);
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(engine_mu_);
    e = std::move(engine_);
  }
  if (e) e->close();
  e.reset();
  close_retired();
  log_route_.reset(); // no FFmpeg work of this player is left
  if (session_active_.exchange(false) && control_)
    control_->end_session(state_.load() == SP_STATE_ENDED ? "finished" : "abandoned");
  // The control plane flushes every accepted event and joins its thread;
  // its last events go through the dispatcher, which then drains and stops.
  // Both stay allocated until then, so a callback that runs meanwhile (the
  // session end's host signal, a last event) can still call the getters.
  if (control_) control_->shutdown();
  if (dispatcher_) dispatcher_->stop();
  control_.reset();
  sdl_video_.reset();
  sdl_audio_.reset();
}

// --------------------------------------------------------------- helpers
std::shared_ptr<Engine> Player::engine() const {
  std::lock_guard lk(engine_mu_);
  return engine_;
}

bool Player::media_open() const {
  int s = get_state();
  return s == SP_STATE_PAUSED || s == SP_STATE_PLAYING || s == SP_STATE_ENDED;
}

void Player::set_state(int s) {
  int old = state_.exchange(s, std::memory_order_acq_rel);
  if (old != s) emit(Event{EventType::StateChanged, SP_OK, s, get_position_ms(), 0, sp_state_name(s)});
}

// Every event reaches the host here, on the dispatcher thread, and becomes an
// sp_event only here.
void Player::emit(Event ev) {
  if (!dispatcher_) return;
  dispatcher_->post([this, ev = std::move(ev)] {
    sp_event_fn fn;
    void *user;
    {
      std::lock_guard lk(cb_mu_);
      fn = event_fn_;
      user = event_user_;
    }
    if (!fn) return;
    const sp_event out = to_sp_event(ev);
    InCallback in_cb(CallbackKind::Event);
    fn(&out, user);
  });
}

int Player::fail(int code, const std::string &msg) const {
  std::lock_guard lk(err_mu_);
  int slot = (err_index_.load(std::memory_order_relaxed) + 1 + kErrSlots) % kErrSlots;
  copy_str(err_slots_[slot], kErrLen, msg);
  err_index_.store(slot, std::memory_order_release);
  return code;
}

const char *Player::last_error() const {
  int i = err_index_.load(std::memory_order_acquire);
  return i < 0 ? "" : err_slots_[i];
}

// Every control call: (strict-mode gate) -> apply to playback -> hand to the
// control thread with a sequence number. Nothing here waits for the log,
// the predictor or a sleeping control thread.
int Player::gate_check(Kind kind) {
  if (get_state() == SP_STATE_OPENING)
    return fail(SP_ERR_INVALID_STATE,
                std::string(kind_name(kind)) + ": sp_open has not finished opening the media yet");
  if (!media_open())
    return fail(SP_ERR_INVALID_STATE,
                std::string(kind_name(kind)) + ": no media is open (call sp_open first)");
  if (!control_->admit())
    return fail(SP_ERR_INVALID_STATE,
                std::string(kind_name(kind)) + ": ignored, the control plane is asleep (strict mode)");
  return SP_OK;
}

template <class Apply> int Player::control_call(Kind kind, Apply &&apply) {
  std::lock_guard lk(control_mu_);
  if (int r = gate_check(kind)) return r;
  Interaction payload;
  payload.kind = kind;
  payload.position_ms = get_position_ms();
  int r = apply(payload);
  if (r != SP_OK) return r;
  payload.wall_ms = wall_now_ms();
  control_->submit(kind, payload.position_ms, payload);
  return SP_OK;
}

// --------------------------------------------------------------- open/close
int Player::begin_session(const SessionInfo &info, std::string &err) {
  int64_t sid = 0;
  int r = control_->begin_session(info, &sid, err);
  if (r != SP_OK) return r;
  std::lock_guard lk(control_mu_);
  session_id_.store(sid, std::memory_order_release);
  session_active_.store(true, std::memory_order_release);
  return SP_OK;
}

void Player::retire(std::shared_ptr<Engine> e) {
  // The task holds the engine until it is closed; ~Player stops the
  // dispatcher only after close_retired(), so `this` outlives the task.
  dispatcher_->post([this, e = std::move(e)] {
    e->close();
    std::lock_guard lk(engine_mu_);
    std::erase(retired_, e);
  });
}

void Player::close_retired() {
  std::vector<std::shared_ptr<Engine>> list;
  {
    std::lock_guard lk(engine_mu_);
    list = retired_;
  }
  for (auto &e : list)
    e->close(); // waits for sp-events if it is closing the same engine
  std::lock_guard lk(engine_mu_);
  for (auto &e : list)
    std::erase(retired_, e);
}

void Player::end_session(const std::string &reason) {
  if (session_active_.exchange(false)) control_->end_session(reason);
  session_id_.store(0, std::memory_order_release); // no current session (sp_get_session_id)
}

int Player::open(const char *url, const sp_media_meta *meta) {
  // Opening joins the engine's threads (sp-present) and starts the session
  // with the control thread (sp-control): from their callbacks it would wait
  // for itself. From the event callback (sp-events) it may: the playlist's
  // "open the next file at the end of this one".
  if (t_engine_callback_depth > 0)
    return fail(SP_ERR_INVALID_STATE,
                "sp_open: not allowed from a video or control callback (it would wait for "
                "the thread running it); call it from the event callback or another thread");
  if (!url || !*url) return fail(SP_ERR_INVALID_ARGUMENT, "sp_open: url is NULL or empty");
  // Ids and names are checked before anything else: a refused open leaves
  // the media that is open (and its session) as it was.
  MediaMeta ids;
  {
    sp_media_meta none{};
    std::string err;
    if (int r = resolve_media_meta(url, meta ? *meta : none, ids, err)) return fail(r, err);
  }
  std::lock_guard open_lk(open_mu_);
  LogScope log_scope(log_route_.get()); // probing and opening log on this thread
  // Close what is open (its session ends as "replaced", or "finished" at EOF),
  // and what sp_stop retired from a callback: the engines share the audio
  // sink, which the new one sets up.
  std::shared_ptr<Engine> old;
  {
    std::lock_guard lk(engine_mu_);
    old = std::move(engine_);
    if (old) closed_stats_ = old->stats();
  }
  if (old) old->close();
  close_retired();
  {
    // One hold of control_mu_, as in stop(): no control call comes between
    // the session's end and the state OPENING (a volume call accepted there
    // would reach the control plane after its session had ended).
    std::lock_guard lk(control_mu_);
    end_session(state_.load() == SP_STATE_ENDED ? "finished" : "replaced");
    // Nothing is open now: a failed open leaves position 0, not where the
    // media closed above was.
    last_position_ms_.store(0);
    set_state(SP_STATE_OPENING);
  }

  EngineOptions eo;
  switch (cfg_.video_output) {
  case PlayerConfig::Output::Sdl:
    eo.video = EngineOptions::Video::Sdl;
    break;
  case PlayerConfig::Output::Callback:
    eo.video = EngineOptions::Video::Callback;
    break;
  case PlayerConfig::Output::None:
    eo.video = EngineOptions::Video::None;
    break;
  }
  {
    std::lock_guard lk(cb_mu_);
    if (cfg_.video_output == PlayerConfig::Output::Callback)
      eo.picture_format = video_format_ == SP_PIXEL_YUV420P ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_RGBA;
    else
      eo.picture_format = AV_PIX_FMT_YUV420P; // SDL uploads YUV textures directly
  }
  eo.audio = cfg_.audio_output != PlayerConfig::Output::None;
  eo.tempo = cfg_.rate_mode == PlayerConfig::RateMode::Tempo;
  eo.network_timeout_ms = cfg_.network_timeout_ms;
  eo.framedrop = cfg_.framedrop;
  eo.log = log_route_.get();
  if (sdl_video_) {
    SdlWaiter *w = &sdl_video_->waiter();
    eo.wake_display = [w] { w->wakeup(); };
  }
  auto e = std::make_shared<Engine>(eo, sink_.get(), this);
  e->set_rate(rate_.load());
  sink_->set_volume(volume_.load());
  sink_->set_muted(muted_.load());
  std::string err;
  {
    std::lock_guard lk(engine_mu_);
    opening_ = e; // sp_stop may cancel it (a server that does not answer)
    open_cancelled_ = false;
  }
  int r = e->open(url, err);
  bool cancelled = false;
  {
    std::lock_guard lk(engine_mu_);
    opening_.reset();
    cancelled = open_cancelled_;
  }
  if (cancelled) {
    e->close();
    set_state(SP_STATE_IDLE);
    return fail(SP_ERR_INVALID_STATE, "sp_open: cancelled by sp_stop");
  }
  if (r != SP_OK) {
    e->close();
    set_state(SP_STATE_IDLE);
    return fail(r, err);
  }
  {
    std::lock_guard lk(engine_mu_);
    facts_ = e->facts();
  }
  SessionInfo info;
  {
    std::lock_guard lk(control_mu_);
    session_info_ = SessionInfo{};
    session_info_.path = redact_credentials(url); // the log never holds a password
    session_info_.video_id = std::move(ids.video_id);
    session_info_.title = std::move(ids.title);
    session_info_.genre = std::move(ids.genre);
    session_info_.viewer_id = std::move(ids.viewer_id);
    session_info_.duration_ms = e->facts().duration_ms;
    session_info_.width = e->facts().width;
    session_info_.height = e->facts().height;
    session_info_.has_audio = e->facts().has_audio;
    last_position_ms_.store(0);
    info = session_info_;
  }
  // The state is OPENING: no control call is admitted until it is PAUSED.
  r = begin_session(info, err);
  if (r != SP_OK) {
    e->close();
    set_state(SP_STATE_IDLE);
    return fail(r, "sp_open: the viewing session could not be logged: " + err);
  }
  if (sdl_video_) {
    sdl_video_->set_title(info.title);
    sdl_video_->show_for(facts_.width, facts_.height, facts_.rotation);
  }
  {
    std::lock_guard lk(engine_mu_);
    engine_ = e;
    closed_stats_ = EngineStats{};
  }
  set_state(SP_STATE_PAUSED);
  return SP_OK;
}

int Player::stop() {
  // From a callback (a library thread: sp-events, sp-present, sp-control)
  // neither open_mu_ (sp_open may hold it while it waits for sp-control) nor
  // joining the engine (sp-present is one of its threads) is allowed.
  const bool from_callback = in_callback();
  // An sp_open still probing (a slow or silent server) is cancelled, not
  // waited for: sp_open returns at once, refused, and leaves nothing open.
  bool cancelled_open = false;
  {
    std::lock_guard elk(engine_mu_);
    if (opening_) {
      open_cancelled_ = true;
      opening_->request_stop();
      cancelled_open = true;
    }
  }
  if (cancelled_open && from_callback) return SP_OK; // it winds down on its own
  std::unique_lock open_lk(open_mu_, std::defer_lock);
  if (!from_callback) open_lk.lock();
  if (cancelled_open && !media_open()) return SP_OK; // (sp_open gave up; the state is IDLE)
  std::shared_ptr<Engine> e;
  {
    // One hold of control_mu_: no other control call, and no end of file,
    // comes between the Stop, the session's end and the state STOPPED.
    std::lock_guard lk(control_mu_);
    if (int r = gate_check(Kind::Stop)) return r;
    {
      std::lock_guard elk(engine_mu_);
      e = std::move(engine_);
      if (e) closed_stats_ = e->stats();             // (paused below: no picture is shown after this)
      if (e && from_callback) retired_.push_back(e); // destroy closes it, should it come first
    }
    if (!e) return fail(SP_ERR_INVALID_STATE, "stop: no media is open");
    Interaction ix;
    ix.kind = Kind::Stop;
    ix.position_ms = std::llround(e->position() * 1000);
    last_position_ms_.store(ix.position_ms);
    e->set_paused(true); // the picture and the sound stop now
    e->request_stop();   // and the engine's threads wind down
    ix.wall_ms = wall_now_ms();
    control_->submit(Kind::Stop, ix.position_ms, ix);
    end_session("stopped");
    set_state(SP_STATE_STOPPED);
  }
  if (from_callback)
    retire(std::move(e));
  else
    e->close();
  return SP_OK;
}

// --------------------------------------------------------------- control calls
int Player::play() {
  return control_call(Kind::Play, [&](Interaction &) -> int {
    auto e = engine();
    if (!e) return fail(SP_ERR_INVALID_STATE, "play: no media is open");
    if (e->ended()) e->seek(0, true); // play at the end restarts
    e->set_paused(false);
    set_state(SP_STATE_PLAYING);
    return SP_OK;
  });
}

int Player::pause() {
  return control_call(Kind::Pause, [&](Interaction &) -> int {
    auto e = engine();
    if (!e) return fail(SP_ERR_INVALID_STATE, "pause: no media is open");
    e->set_paused(true);
    if (get_state() != SP_STATE_ENDED) set_state(SP_STATE_PAUSED);
    return SP_OK;
  });
}

int Player::toggle_pause() {
  return get_state() == SP_STATE_PLAYING ? pause() : play();
}

int Player::seek(int64_t target_ms, int flags) {
  constexpr int kKnown = SP_SEEK_ABSOLUTE | SP_SEEK_RELATIVE | SP_SEEK_ACCURATE | SP_SEEK_KEYFRAME;
  if ((flags & ~kKnown) != 0)
    return fail(SP_ERR_INVALID_ARGUMENT, "sp_seek: unknown flag bits in " + std::to_string(flags) +
                                             " (use SP_SEEK_ABSOLUTE/RELATIVE, SP_SEEK_ACCURATE/KEYFRAME)");
  if ((flags & SP_SEEK_ABSOLUTE) && (flags & SP_SEEK_RELATIVE))
    return fail(SP_ERR_INVALID_ARGUMENT,
                "sp_seek: SP_SEEK_ABSOLUTE and SP_SEEK_RELATIVE contradict each other");
  if ((flags & SP_SEEK_ACCURATE) && (flags & SP_SEEK_KEYFRAME))
    return fail(SP_ERR_INVALID_ARGUMENT,
                "sp_seek: SP_SEEK_ACCURATE and SP_SEEK_KEYFRAME contradict each other");
  return control_call(Kind::Seek, [&](Interaction &ix) -> int {
    auto e = engine();
    if (!e) return fail(SP_ERR_INVALID_STATE, "seek: no media is open");
    int64_t target = target_ms;
    if (flags & SP_SEEK_RELATIVE) target = saturating_add(ix.position_ms, target_ms); // INT64_MAX: the end
    int64_t dur = std::llround(e->duration() * 1000);
    // Unknown duration (a live stream, raw H.264): no upper bound to clamp to.
    target = dur > 0 ? std::clamp<int64_t>(target, 0, dur) : std::max<int64_t>(target, 0);
    ix.from_ms = ix.position_ms;
    ix.to_ms = target;
    bool was_ended = e->ended();
    e->seek(static_cast<double>(target) / 1000.0, (flags & SP_SEEK_KEYFRAME) == 0);
    last_position_ms_.store(target);
    if (was_ended) set_state(SP_STATE_PAUSED);
    return SP_OK;
  });
}

int Player::step() {
  return control_call(Kind::Step, [&](Interaction &) -> int {
    auto e = engine();
    if (!e) return fail(SP_ERR_INVALID_STATE, "step: no media is open");
    e->step();
    if (get_state() == SP_STATE_PLAYING) set_state(SP_STATE_PAUSED);
    return SP_OK;
  });
}

int Player::set_rate(double rate) {
  if (!std::isfinite(rate) || rate < 0.5 || rate > 2.0)
    return fail(SP_ERR_INVALID_ARGUMENT, "sp_set_rate: rate must be within [0.5, 2.0]");
  return control_call(Kind::Rate, [&](Interaction &ix) -> int {
    ix.old_value = rate_.load();
    ix.value = rate;
    rate_.store(rate);
    if (auto e = engine()) e->set_rate(rate);
    return SP_OK;
  });
}

int Player::set_volume(int volume) {
  if (volume < 0 || volume > 100)
    return fail(SP_ERR_INVALID_ARGUMENT, "sp_set_volume: volume must be within [0, 100]");
  return control_call(Kind::Volume, [&](Interaction &ix) -> int {
    ix.old_value = volume_.load();
    ix.value = volume;
    volume_.store(volume);
    sink_->set_volume(volume);
    return SP_OK;
  });
}

int Player::set_mute(int mute) {
  return control_call(Kind::Mute, [&](Interaction &ix) -> int {
    ix.old_value = muted_.load() ? 1 : 0;
    ix.value = mute ? 1 : 0;
    muted_.store(mute != 0);
    sink_->set_muted(mute != 0);
    return SP_OK;
  });
}

int Player::skip(int direction) {
  if (direction != 1 && direction != -1)
    return fail(SP_ERR_INVALID_ARGUMENT, "sp_skip: direction must be +1 or -1");
  return control_call(Kind::Skip, [&](Interaction &ix) -> int {
    ix.value = direction;
    return SP_OK;
  });
}

// --------------------------------------------------------------- getters
int64_t Player::get_position_ms() const {
  if (auto e = engine()) return std::llround(e->position() * 1000);
  return last_position_ms_.load();
}

int64_t Player::get_duration_ms() const {
  if (auto e = engine()) return std::llround(e->duration() * 1000);
  return 0;
}

int64_t Player::get_buffered_ms() const {
  if (auto e = engine()) return std::llround(e->buffered() * 1000);
  return 0;
}

int Player::get_media_info(sp_media_info &info) const {
  if (!engine()) return fail(SP_ERR_INVALID_STATE, "sp_get_media_info: no media is open");
  std::lock_guard lk(engine_mu_);
  info = sp_media_info{};
  info.struct_size = sizeof info;
  info.width = facts_.width;
  info.height = facts_.height;
  info.fps = facts_.fps;
  info.has_audio = facts_.has_audio ? 1 : 0;
  info.audio_sample_rate = facts_.audio_sample_rate;
  info.audio_channels = facts_.audio_channels;
  info.duration_ms = facts_.duration_ms;
  copy_str(info.video_codec, sizeof info.video_codec, facts_.video_codec);
  copy_str(info.audio_codec, sizeof info.audio_codec, facts_.audio_codec);
  copy_str(info.container, sizeof info.container, facts_.container);
  info.rotation = facts_.rotation;
  return SP_OK;
}

EngineStats Player::engine_stats() const {
  if (auto e = engine()) return e->stats();
  std::lock_guard lk(engine_mu_);
  return closed_stats_;
}

int64_t Player::audio_clock_ms() const {
  double v = sink_->clock().get(now_s());
  return std::isnan(v) ? INT64_MIN : std::llround(v * 1000);
}

// --------------------------------------------------------------- callbacks/outputs
int Player::set_event_callback(sp_event_fn fn, void *user) {
  std::lock_guard lk(cb_mu_);
  event_fn_ = fn;
  event_user_ = user;
  return SP_OK;
}

int Player::set_video_callback(sp_video_fn fn, int format, void *user) {
  // Clearing takes any format (sp_set_video_callback(p, NULL, 0, NULL)): a
  // refusal there would leave the callback installed.
  if (fn && format != SP_PIXEL_RGBA32 && format != SP_PIXEL_YUV420P)
    return fail(SP_ERR_INVALID_ARGUMENT,
                "sp_set_video_callback: format must be SP_PIXEL_RGBA32 or SP_PIXEL_YUV420P");
  if (cfg_.video_output != PlayerConfig::Output::Callback)
    return fail(SP_ERR_INVALID_STATE,
                "sp_set_video_callback: needs video_output=callback in the configuration");
  std::lock_guard lk(cb_mu_);
  video_fn_ = fn;
  video_user_ = user;
  if (fn) video_format_ = format;
  return SP_OK;
}

int Player::audio_read(int16_t *buf, int frames) {
  if (!buf || frames < 0) return fail(SP_ERR_INVALID_ARGUMENT, "sp_audio_read: buf is NULL or frames < 0");
  if (cfg_.audio_output != PlayerConfig::Output::Callback)
    return fail(SP_ERR_INVALID_STATE, "sp_audio_read: needs audio_output=callback in the configuration");
  sink_->read(buf, frames);
  return frames;
}

int Player::sdl_pump() {
  if (!sdl_video_)
    return fail(SP_ERR_INVALID_STATE, "sp_sdl_pump: needs video_output=sdl in the configuration");
  if (std::this_thread::get_id() != creator_)
    return fail(SP_ERR_INVALID_STATE, "sp_sdl_pump: must be called on the thread that created the player");
  bool open = sdl_video_->pump();
  LogScope log_scope(log_route_.get()); // the display converts pictures on this thread
  auto e = engine();
  sdl_due_ = e ? e->refresh_sdl(*sdl_video_) : INFINITY;
  return open ? 1 : 0;
}

int Player::sdl_wait(int timeout_ms) {
  if (!sdl_video_)
    return fail(SP_ERR_INVALID_STATE, "sp_sdl_wait: needs video_output=sdl in the configuration");
  if (std::this_thread::get_id() != creator_)
    return fail(SP_ERR_INVALID_STATE, "sp_sdl_wait: must be called on the thread that created the player");
  if (timeout_ms < -1)
    return fail(SP_ERR_INVALID_ARGUMENT, "sp_sdl_wait: timeout_ms must be -1 (none) or >= 0");
  return sdl_video_->waiter().wait(sdl_due_, timeout_ms);
}

int Player::sdl_wakeup() {
  if (!sdl_video_)
    return fail(SP_ERR_INVALID_STATE, "sp_sdl_wakeup: needs video_output=sdl in the configuration");
  sdl_video_->waiter().wakeup();
  return SP_OK;
}

void Player::on_frame(const sp_video_frame &frame) {
  sp_video_fn fn;
  void *user;
  {
    std::lock_guard lk(cb_mu_);
    fn = video_fn_;
    user = video_user_;
  }
  if (!fn) return;
  InCallback in_cb(CallbackKind::VideoOrControl);
  fn(&frame, user);
}

void Player::on_eof(int64_t position_ms) {
  // Engine thread: never blocks. The End interaction is logged like any
  // other event (it is not a viewer action).
  {
    std::lock_guard lk(control_mu_);
    if (!media_open()) return;
    Interaction ix;
    ix.kind = Kind::End;
    ix.position_ms = position_ms;
    ix.wall_ms = wall_now_ms();
    control_->submit(Kind::End, position_ms, ix);
    // Under the same hold as the check: a stop from a callback (which does
    // not wait for this thread) cannot be overtaken by ENDED.
    set_state(SP_STATE_ENDED);
  }
  emit(Event{EventType::EndOfFile, SP_OK, 0, position_ms, 0, "end of file"});
}

void Player::on_seek_done(int64_t position_ms) {
  emit(Event{EventType::SeekDone, SP_OK, 0, position_ms, 0, "seek done"});
}

void Player::on_buffering(bool waiting, int64_t position_ms) {
  emit(Event{EventType::Buffering, SP_OK, waiting ? 1 : 0, position_ms, 0,
             waiting ? "buffering" : "buffered"});
}

void Player::on_error(int code, const std::string &message) {
  emit(Event{EventType::Error, code, 0, get_position_ms(), 0, message});
}

// --------------------------------------------------------------- control plane
int Player::set_control_callback(sp_control_fn fn, void *user) {
  ControlSignal signal;
  if (fn)
    signal = [fn, user](bool awake, WakeReason reason) {
      InCallback in_cb(CallbackKind::VideoOrControl);
      fn(awake ? 1 : 0, to_sp_wake_reason(reason), user);
    };
  control_->set_control_signal(std::move(signal));
  return SP_OK;
}

int Player::control_state(int *state, int64_t *wakes_in_ms) const {
  ControlStatus s = control_->status();
  *state = to_sp_control_state(s.state);
  *wakes_in_ms = s.wakes_in_ms;
  return SP_OK;
}

int Player::stats(sp_stats &st) const {
  fill_sp_stats(control_->stats(), st);
  const EngineStats es = engine_stats();
  st.frames_displayed = es.frames_displayed;
  st.frames_dropped = es.frames_dropped;
  return SP_OK;
}

int Player::predicted_windows(sp_window *out, int max, int *count) const {
  *count = 0;
  // None without a session (the control plane forgets them when it has
  // handled the session's end, just after sp_stop returns), and only the
  // upcoming ones: those the playback has passed since the plane last
  // decided are dropped.
  if (!session_active_.load(std::memory_order_acquire)) return SP_OK;
  const int64_t pos = get_position_ms();
  int n = 0;
  for (const auto &w : control_->predicted_windows()) {
    if (n >= max) break;
    if (w.end_ms < pos) continue;
    out[n++] = to_sp_window(w);
  }
  *count = n;
  return SP_OK;
}

} // namespace sp
