#include "player/c_types.h"

#include <algorithm>
#include <cstring>

#include "core/interaction.h"
#include "decode/ffmpeg_log.h"

namespace sp {

// A Logged event's value is the interaction's Kind, passed on as sp_kind.
static_assert(static_cast<int>(Kind::Open) == SP_KIND_OPEN && static_cast<int>(Kind::Seek) == SP_KIND_SEEK &&
                  static_cast<int>(Kind::Rate) == SP_KIND_RATE && static_cast<int>(Kind::End) == SP_KIND_END,
              "sp::Kind and the public sp_kind must agree");

// A Log event's value is the LogLevel, numbered as sp_log_level.
static_assert(static_cast<int>(LogLevel::Error) == SP_LOG_ERROR &&
              static_cast<int>(LogLevel::Warning) == SP_LOG_WARNING &&
              static_cast<int>(LogLevel::Info) == SP_LOG_INFO &&
              static_cast<int>(LogLevel::Verbose) == SP_LOG_VERBOSE &&
              static_cast<int>(LogLevel::Debug) == SP_LOG_DEBUG);

int to_sp_event_type(EventType type) {
  switch (type) {
  case EventType::StateChanged:
    return SP_EVENT_STATE_CHANGED;
  case EventType::EndOfFile:
    return SP_EVENT_END_OF_FILE;
  case EventType::Error:
    return SP_EVENT_ERROR;
  case EventType::SeekDone:
    return SP_EVENT_SEEK_DONE;
  case EventType::Logged:
    return SP_EVENT_LOGGED;
  case EventType::ControlSleep:
    return SP_EVENT_CONTROL_SLEEP;
  case EventType::ControlWake:
    return SP_EVENT_CONTROL_WAKE;
  case EventType::Progress:
    return SP_EVENT_PROGRESS;
  case EventType::ModelUpdated:
    return SP_EVENT_MODEL_UPDATED;
  case EventType::Log:
    return SP_EVENT_LOG;
  }
  return 0;
}

int to_sp_wake_reason(WakeReason reason) {
  switch (reason) {
  case WakeReason::None:
    return 0;
  case WakeReason::Proactive:
    return SP_WAKE_PROACTIVE;
  case WakeReason::OnDemand:
    return SP_WAKE_ON_DEMAND;
  }
  return 0;
}

int to_sp_control_state(ControlState state) {
  switch (state) {
  case ControlState::Awake:
    return SP_CONTROL_AWAKE;
  case ControlState::Asleep:
    return SP_CONTROL_ASLEEP;
  case ControlState::Waking:
    return SP_CONTROL_WAKING;
  }
  return SP_CONTROL_AWAKE;
}

sp_event to_sp_event(const Event &ev) {
  sp_event out{};
  out.struct_size = sizeof out;
  out.type = to_sp_event_type(ev.type);
  out.code = ev.code;
  out.value =
      ev.type == EventType::ControlWake ? to_sp_wake_reason(static_cast<WakeReason>(ev.value)) : ev.value;
  out.position_ms = ev.position_ms;
  out.seq = ev.seq;
  out.message = ev.message.c_str();
  return out;
}

void fill_sp_stats(const ControlStats &in, sp_stats &out) {
  out.awake_s = in.awake_s;
  out.asleep_s = in.asleep_s;
  out.wakes_proactive = in.wakes_proactive;
  out.wakes_on_demand = in.wakes_on_demand;
  out.misses = in.misses;
  out.wake_latency_p50_ms = in.wake_latency_p50_ms;
  out.wake_latency_p99_ms = in.wake_latency_p99_ms;
  out.control_wakeups = in.control_wakeups;
  out.events_submitted = in.events_submitted;
  out.events_logged = in.events_logged;
  out.events_dropped = in.events_dropped;
  copy_str(out.policy, sizeof out.policy, in.policy);
  copy_str(out.model_version, sizeof out.model_version, in.model_version);
  out.model_log_loss = in.model_log_loss;
}

sp_window to_sp_window(const PredictedWindow &w) {
  return sp_window{w.start_ms, w.end_ms};
}

void copy_str(char *dst, size_t cap, const std::string &src) {
  if (cap == 0) return;
  size_t n = std::min(cap - 1, src.size());
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

} // namespace sp
