// Static names of result codes (from core/result.h) and states, and the
// version.
#include "smartplayer.h"

#include "core/result.h"

// The public codes are the ABI; the library's internal list (core/result.h)
// must match them, and sp_strerror's messages come from that list.
#define SP_RESULT_MATCHES(name, public_name, value, meaning)                                                 \
  static_assert(public_name == (value) && sp::name == (value), #public_name " differs from core/result.h");
SP_RESULT_CODES(SP_RESULT_MATCHES)
#undef SP_RESULT_MATCHES

extern "C" {

SP_API const char *sp_strerror(int code) {
  switch (code) {
#define SP_RESULT_MESSAGE(name, public_name, value, meaning)                                                 \
  case value:                                                                                                \
    return #public_name ": " meaning;
    SP_RESULT_CODES(SP_RESULT_MESSAGE)
#undef SP_RESULT_MESSAGE
  default: return "unknown result code";
  }
}

// The library's own version: these are compiled in, so a host built against
// another header learns what it runs with.
SP_API int sp_version_number(void) { return SP_VERSION_NUMBER; }

SP_API const char *sp_version_string(void) { return SP_VERSION_STRING; }

SP_API const char *sp_state_name(int state) {
  switch (state) {
  case SP_STATE_IDLE: return "idle";
  case SP_STATE_OPENING: return "opening";
  case SP_STATE_PAUSED: return "paused";
  case SP_STATE_PLAYING: return "playing";
  case SP_STATE_ENDED: return "ended";
  case SP_STATE_STOPPED: return "stopped";
  default: return "unknown";
  }
}

} // extern "C"
