// The one conversion from internal values to the C API's types
// (player/c_types.h), and the one list of result codes (core/result.h).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "core/result.h"
#include "player/c_types.h"

using namespace sp;

TEST_CASE("every internal event type becomes its own public event type") {
  const EventType all[] = {EventType::StateChanged, EventType::EndOfFile, EventType::Error,
                           EventType::SeekDone,     EventType::Logged,    EventType::ControlSleep,
                           EventType::ControlWake,  EventType::Progress,  EventType::ModelUpdated};
  const int expected[] = {SP_EVENT_STATE_CHANGED, SP_EVENT_END_OF_FILE, SP_EVENT_ERROR,
                          SP_EVENT_SEEK_DONE,     SP_EVENT_LOGGED,      SP_EVENT_CONTROL_SLEEP,
                          SP_EVENT_CONTROL_WAKE,  SP_EVENT_PROGRESS,    SP_EVENT_MODEL_UPDATED};
  std::set<int> seen;
  for (size_t i = 0; i < std::size(all); ++i) {
    CHECK(to_sp_event_type(all[i]) == expected[i]);
    seen.insert(to_sp_event_type(all[i]));
  }
  CHECK(seen.size() == std::size(all));
}

TEST_CASE("an event keeps every field and its message on the way out") {
  Event ev{EventType::Error, kErrDbLocked, 7, 1234, 0, "behaviour log write failed"};
  sp_event out = to_sp_event(ev);
  CHECK(out.struct_size == sizeof(sp_event));
  CHECK(out.type == SP_EVENT_ERROR);
  CHECK(out.code == SP_ERR_DB_LOCKED);
  CHECK(out.value == 7);
  CHECK(out.position_ms == 1234);
  CHECK(out.seq == 0);
  CHECK(std::string(out.message) == "behaviour log write failed");

  Event logged{EventType::Logged, kOk, static_cast<int64_t>(Kind::Seek), 50, 12, "seek"};
  sp_event l = to_sp_event(logged);
  CHECK(l.value == SP_KIND_SEEK);
  CHECK(l.seq == 12);
}

TEST_CASE("a wake event's value and the control signal carry the public wake reason") {
  Event wake{EventType::ControlWake, kOk, static_cast<int64_t>(WakeReason::OnDemand), 0, 0, "awake"};
  CHECK(to_sp_event(wake).value == SP_WAKE_ON_DEMAND);
  wake.value = static_cast<int64_t>(WakeReason::Proactive);
  CHECK(to_sp_event(wake).value == SP_WAKE_PROACTIVE);
  CHECK(to_sp_wake_reason(WakeReason::None) == 0);
  CHECK(to_sp_control_state(ControlState::Awake) == SP_CONTROL_AWAKE);
  CHECK(to_sp_control_state(ControlState::Asleep) == SP_CONTROL_ASLEEP);
  CHECK(to_sp_control_state(ControlState::Waking) == SP_CONTROL_WAKING);
}

TEST_CASE("control statistics fill sp_stats, long names truncated and terminated") {
  ControlStats in;
  in.awake_s = 1.5;
  in.asleep_s = 8.25;
  in.wakes_proactive = 3;
  in.wakes_on_demand = 2;
  in.misses = 1;
  in.wake_latency_p50_ms = 0.5;
  in.wake_latency_p99_ms = 4;
  in.control_wakeups = 17;
  in.events_submitted = 9;
  in.events_logged = 8;
  in.events_dropped = 1;
  in.policy = "learned";
  in.model_version = std::string(200, 'v');
  in.model_log_loss = 0.41;
  sp_stats out{};
  out.struct_size = sizeof out;
  fill_sp_stats(in, out);
  CHECK(out.struct_size == sizeof out);
  CHECK(out.awake_s == 1.5);
  CHECK(out.asleep_s == 8.25);
  CHECK(out.wakes_proactive == 3);
  CHECK(out.wakes_on_demand == 2);
  CHECK(out.misses == 1);
  CHECK(out.wake_latency_p50_ms == 0.5);
  CHECK(out.wake_latency_p99_ms == 4);
  CHECK(out.control_wakeups == 17);
  CHECK(out.events_submitted == 9);
  CHECK(out.events_logged == 8);
  CHECK(out.events_dropped == 1);
  CHECK(std::string(out.policy) == "learned");
  CHECK(std::string(out.model_version) == std::string(sizeof out.model_version - 1, 'v'));
  CHECK(out.model_log_loss == 0.41);
  sp_window w = to_sp_window(PredictedWindow{100, 2500});
  CHECK(w.start_ms == 100);
  CHECK(w.end_ms == 2500);
}

TEST_CASE("sp_strerror names every code of the one list") {
#define SP_RESULT_NAMED(name, public_name, value, meaning)                                                   \
  CHECK(std::string(sp_strerror(value)) == std::string(#public_name ": ") + meaning);
  SP_RESULT_CODES(SP_RESULT_NAMED)
#undef SP_RESULT_NAMED
  CHECK(std::string(sp_strerror(kErrDbLocked)) == "SP_ERR_DB_LOCKED: database is locked by another writer");
  CHECK(std::string(sp_strerror(-999)) == "unknown result code");
}
