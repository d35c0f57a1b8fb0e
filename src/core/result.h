// Result codes inside the library, written once: value, public name and
// meaning. Every layer below the C API returns these (as int, SP_OK-style:
// 0 or negative). The numbers are the C API's sp_result
// (include/smartplayer.h, which is the ABI and cannot include this file);
// src/capi/errors.cpp checks at compile time that each one matches, and
// builds sp_strerror's messages from this list. Constants only: any thread.
#pragma once

// X(internal name, public name, value, meaning)
#define SP_RESULT_CODES(X)                                                                                   \
  X(kOk, SP_OK, 0, "success")                                                                                \
  X(kErrInvalidArgument, SP_ERR_INVALID_ARGUMENT, -1,                                                        \
    "invalid argument (NULL, out of range or unknown key)")                                                  \
  X(kErrInvalidState, SP_ERR_INVALID_STATE, -2, "call not allowed in the current state")                     \
  X(kErrNotFound, SP_ERR_NOT_FOUND, -3, "not found")                                                         \
  X(kErrIo, SP_ERR_IO, -4, "input/output error")                                                             \
  X(kErrFormat, SP_ERR_FORMAT, -5, "not a media file, truncated or unsupported")                             \
  X(kErrNoVideo, SP_ERR_NO_VIDEO, -6, "media has no video stream")                                           \
  X(kErrNetwork, SP_ERR_NETWORK, -7, "network error or timeout")                                             \
  X(kErrDb, SP_ERR_DB, -8, "database error")                                                                 \
  X(kErrDbLocked, SP_ERR_DB_LOCKED, -9, "database is locked by another writer")                              \
  X(kErrDbCorrupt, SP_ERR_DB_CORRUPT, -10, "database file is corrupt or not a database")                     \
  X(kErrDbReadonly, SP_ERR_DB_READONLY, -11, "database cannot be written")                                   \
  X(kErrNoMemory, SP_ERR_NO_MEMORY, -12, "out of memory")                                                    \
  X(kErrUnsupported, SP_ERR_UNSUPPORTED, -13, "not supported in this build or configuration")                \
  X(kErrAudioDevice, SP_ERR_AUDIO_DEVICE, -14, "audio output could not be opened")                           \
  X(kErrVideoDevice, SP_ERR_VIDEO_DEVICE, -15, "window or renderer could not be created")                    \
  X(kErrInternal, SP_ERR_INTERNAL, -16, "internal error (a bug, please report)")

namespace sp {

enum Result : int {
#define SP_RESULT_ENUMERATOR(name, public_name, value, meaning) name = value,
  SP_RESULT_CODES(SP_RESULT_ENUMERATOR)
#undef SP_RESULT_ENUMERATOR
};

} // namespace sp
