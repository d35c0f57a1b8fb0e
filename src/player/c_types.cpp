#include "player/c_types.h"

#include <algorithm>
#include <cstring>
#include <iterator>

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

// The C API's values, in the order of the internal enums (a lookup each).
constexpr int kSpEventType[] = {SP_EVENT_STATE_CHANGED, SP_EVENT_END_OF_FILE, SP_EVENT_ERROR,
                                SP_EVENT_SEEK_DONE,     SP_EVENT_LOGGED,      SP_EVENT_CONTROL_SLEEP,
                                SP_EVENT_CONTROL_WAKE,  SP_EVENT_PROGRESS,    SP_EVENT_MODEL_UPDATED,
                                SP_EVENT_LOG,           SP_EVENT_BUFFERING};
constexpr int kSpWakeReason[] = {0, SP_WAKE_PROACTIVE, SP_WAKE_ON_DEMAND}; // None, Proactive, OnDemand
constexpr int kSpControlState[] = {SP_CONTROL_AWAKE, SP_CONTROL_ASLEEP, SP_CONTROL_WAKING};
static_assert(std::size(kSpEventType) == static_cast<size_t>(EventType::Buffering) + 1 &&
                  std::size(kSpWakeReason) == static_cast<size_t>(WakeReason::OnDemand) + 1 &&
                  std::size(kSpControlState) == static_cast<size_t>(ControlState::Waking) + 1,
              "one C API value for each internal one");

template <class E, size_t N> int look_up(const int (&table)[N], E value, int otherwise) {
  const auto i = static_cast<size_t>(value);
  return i < N ? table[i] : otherwise;
}

int to_sp_event_type(EventType type) {
  return look_up(kSpEventType, type, 0);
}
int to_sp_wake_reason(WakeReason reason) {
  return look_up(kSpWakeReason, reason, 0);
}
int to_sp_control_state(ControlState state) {
  return look_up(kSpControlState, state, SP_CONTROL_AWAKE);
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
