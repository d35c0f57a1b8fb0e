// Static names of result codes and states, and the version string.
#include "smartplayer.h"

extern "C" {

SP_API const char *sp_strerror(int code) {
  switch (code) {
  case SP_OK: return "SP_OK: success";
  case SP_ERR_INVALID_ARGUMENT: return "SP_ERR_INVALID_ARGUMENT: invalid argument (NULL, out of range or unknown key)";
  case SP_ERR_INVALID_STATE: return "SP_ERR_INVALID_STATE: call not allowed in the current state";
  case SP_ERR_NOT_FOUND: return "SP_ERR_NOT_FOUND: not found";
  case SP_ERR_IO: return "SP_ERR_IO: input/output error";
  case SP_ERR_FORMAT: return "SP_ERR_FORMAT: not a media file, truncated or unsupported";
  case SP_ERR_NO_VIDEO: return "SP_ERR_NO_VIDEO: media has no video stream";
  case SP_ERR_NETWORK: return "SP_ERR_NETWORK: network error or timeout";
  case SP_ERR_DB: return "SP_ERR_DB: database error";
  case SP_ERR_DB_LOCKED: return "SP_ERR_DB_LOCKED: database is locked by another writer";
  case SP_ERR_DB_CORRUPT: return "SP_ERR_DB_CORRUPT: database file is corrupt or not a database";
  case SP_ERR_DB_READONLY: return "SP_ERR_DB_READONLY: database cannot be written";
  case SP_ERR_NO_MEMORY: return "SP_ERR_NO_MEMORY: out of memory";
  case SP_ERR_UNSUPPORTED: return "SP_ERR_UNSUPPORTED: not supported in this build or configuration";
  case SP_ERR_AUDIO_DEVICE: return "SP_ERR_AUDIO_DEVICE: audio output could not be opened";
  case SP_ERR_VIDEO_DEVICE: return "SP_ERR_VIDEO_DEVICE: window or renderer could not be created";
  case SP_ERR_INTERNAL: return "SP_ERR_INTERNAL: internal error (a bug, please report)";
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
