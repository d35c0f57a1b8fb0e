// libFuzzer target: open media from arbitrary bytes (the path sp_open takes
// for a file), probe it and decode a few frames. Any crash, leak or UB found
// by the sanitizers is a bug; every input must end in SP_OK or an SP_ERR_*.
#include <cstddef>
#include <cstdint>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

#include "decode/input.h"
#include "decode/probe.h"
#include "smartplayer.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  av_log_set_level(AV_LOG_QUIET);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp::MediaFacts probe;
  std::string err;
  int r = sp::probe_media_memory(data, size, probe, err);
  if (r != SP_OK && err.empty()) __builtin_trap();  // every failure must explain itself
  if (r == SP_OK) {
    sp::MediaInput in;
    if (in.open_memory(data, size, "fuzz", err) == SP_OK) sp::decode_some(in, 8);
  }
  return 0;
}
