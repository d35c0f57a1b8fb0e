// Probe a media file or URL without playing it (libavformat): used by sp_open
// and by the catalogue (smartplayer-cli add).
#pragma once
#include <cstdint>
#include <string>

namespace sp {

// What probing found out about a media file (not playback state: that is
// control's PlaybackView, implemented by the player).
struct MediaFacts {
  int64_t duration_ms = 0;
  int width = 0, height = 0;
  double fps = 0;
  bool has_video = false, has_audio = false;
  int audio_sample_rate = 0, audio_channels = 0;
  std::string video_codec, audio_codec, container;
  // Degrees the picture is turned clockwise for display (its display
  // matrix, as a phone records portrait video): 0, 90, 180 or 270.
  int rotation = 0;
};

// Returns kOk or an error code (core/result.h: kErrNotFound, kErrFormat,
// kErrNoVideo, kErrNetwork, kErrIo) with a clear message in err.
// A file is accepted only if it has a decodable video stream; a truncated file
// whose first video frame cannot be decoded is kErrFormat.
int probe_media(const std::string &url, MediaFacts &out, std::string &err, int timeout_ms = 10000);

} // namespace sp
