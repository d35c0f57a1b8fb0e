// Player configuration: the keys of sp_config_set (include/smartplayer.h),
// parsed and validated.
#pragma once
#include <memory>
#include <string>

#include "decode/ffmpeg_log.h"
#include "policy/policy.h"

namespace sp {

struct PlayerConfig {
  enum class Output { Sdl, Callback, None };
  enum class RateMode { Tempo, Resample };

  Output video_output = Output::Sdl;
  Output audio_output = Output::Sdl;
  std::string window_title = "smartplayer";
  int window_width = 0, window_height = 0;
  int audio_rate = 48000;
  RateMode rate_mode = RateMode::Tempo;
  std::string db;
  int db_busy_timeout_ms = 5000;
  int log_batch_ms = 200;
  std::string policy = "auto";
  std::string cost;
  double timeout_s = -1;
  bool strict = false;
  bool online_learning = true;
  int network_timeout_ms = 10000;
  LogLevel log_level = LogLevel::Quiet; // FFmpeg's messages as Log events
  int audio_release_ms = 3000; // SDL audio device closed this long after playback pauses
  bool framedrop = true;       // drop video frames that are already late (ffplay -framedrop)
  // Internal (tests, benchmarks): a policy object to run instead of `policy`.
  std::shared_ptr<Policy> policy_override;

  // Validate and apply one key. Returns SP_OK or SP_ERR_INVALID_ARGUMENT with
  // a message (the configuration is unchanged on error).
  int set(const std::string &key, const std::string &value, std::string &err);
};

} // namespace sp
