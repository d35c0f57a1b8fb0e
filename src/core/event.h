// An event inside the library: what happened, as a plain value that owns its
// message. The control plane and the player's engine-listener paths produce
// them; the player carries them to the dispatcher thread, where each is turned
// into the C API's sp_event exactly once, as the host's callback is called
// (player/c_types.h). Internal layers never build an sp_event. A value: copy
// or move it between threads freely.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace sp {

// What happened (the C API's sp_event_type, one for one).
enum class EventType {
  StateChanged, // value = the new playback state
  EndOfFile,    // position_ms = where playback ended
  Error,        // code + message; value = events affected (log errors) or 0
  SeekDone,     // position_ms = where playback resumed
  Logged,       // an interaction was committed: seq = its number, value = its Kind, message = its name
  ControlSleep, // value = ms until the scheduled wake, -1 none
  ControlWake,  // value = the WakeReason (control/control_plane.h)
  Progress,     // value = position_ms
  ModelUpdated, // message names the new model's version
  Log,          // a line of FFmpeg's log: value = the LogLevel (decode/ffmpeg_log.h), message = the line
  Buffering,    // value = 1: the input ran dry, playback waits for data; 0: it goes on
};

struct Event {
  EventType type = EventType::Error;
  int code = 0;            // result code (core/result.h): the failure's for Error, else kOk
  int64_t value = 0;       // meaning by type (above)
  int64_t position_ms = 0; // media position when it happened
  int64_t seq = 0;         // Logged: the interaction's sequence number, else 0
  std::string message;
};

// Where a layer hands its events (to the player, which dispatches them).
using EventSink = std::function<void(Event)>;

// Hand an event to `sink` (if set).
inline void emit(const EventSink &sink, EventType type, int code, int64_t value, int64_t position_ms,
                 int64_t seq, std::string message) {
  if (sink) sink(Event{type, code, value, position_ms, seq, std::move(message)});
}

} // namespace sp
