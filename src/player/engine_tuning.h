// Private to the engine's translation units (engine*.cpp): the tuning the
// demux, decode and display loops share. Most are ffplay's own values.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

#include "decode/ffmpeg_util.h"

namespace sp::engine_tuning {
// ffplay's constants.
constexpr double kSyncThresholdMin = 0.04;
constexpr double kSyncThresholdMax = 0.1;
constexpr double kSyncFramedupThreshold = 0.1;
// Video ahead of the master clock by more than this waits for it, as mpv
// does (the picture is held); less is caught up by showing each picture
// twice as long (ffplay's rule), which stretches a large lead (video that
// starts after the audio, a seek) into seconds of slow motion.
constexpr double kSyncHoldThreshold = 0.1;
constexpr double kNoSyncThreshold = 10.0;
constexpr int kMaxPendingSteps = 1000; // sp_step calls queued while paused, at most
// A seek whose first picture comes after its target is retried from this far
// before the target, doubling up to kSeekBackMaxS (1, 2, 4, ... 32 s).
constexpr double kSeekBackFirstS = 1.0;
constexpr double kSeekBackMaxS = 32.0;
constexpr double kSeekLandingSlackS = 0.001; // a first picture this much after the target is "after" it
constexpr double kMaxFrameDuration = 10.0;
constexpr int64_t kMaxQueueBytes = 15 * 1024 * 1024;
// The demux thread refills the packet queues in bursts: it reads until every
// queue holds kHighSeconds (and more than kMinPackets packets), sleeps, and is
// woken when one falls below kLowSeconds (or kLowPackets): one wake-up per
// second or so instead of one per packet.
constexpr int kMinPackets = 25;
constexpr double kHighSeconds = 2.0;
constexpr int kLowPackets = 12;
constexpr double kLowSeconds = 1.0;
// A picture due within this much is shown now rather than after another wait.
constexpr double kDueSlack = 0.001;
// A demuxer that says "try again" (EAGAIN) gives nothing to wait on: the
// only timed retry in the engine, never taken for local files.
constexpr auto kEagainRetry = std::chrono::milliseconds(10);

// The picture has ended and the sound has not, and the audio output has
// taken nothing for this long (a host that stopped calling sp_audio_read, an
// SDL device that could not reopen): the media ends without the rest of its
// sound, as the picture goes on without it (smartplayer.h, sp_audio_read).
constexpr double kAudioStallS = 1.0;

// Buffering (playing, the input ran dry): playback goes on once this much is
// read ahead of the position (mpv's cache-pause-wait), or the queues are
// full, or the input has ended.
constexpr double kBufferingResumeS = 1.0;

// A local file whose packets end more than this short of its own duration
// (1 s plus 1 % of it) is reported as truncated when its end is reached.
constexpr double kShortFileSlackS = 1.0;
constexpr double kShortFileSlackFraction = 0.01;

inline double ts_to_s(int64_t ts, AVRational tb) {
  return ts == AV_NOPTS_VALUE ? NAN : static_cast<double>(ts) * av_q2d(tb);
}
} // namespace sp::engine_tuning
