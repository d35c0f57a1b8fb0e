// Audio conversion for playback: a libavfilter graph from the decoder's
// format to interleaved stereo S16 at the output rate, changing the playback
// rate on the way:
//   rate_mode "tempo":    atempo (pitch preserved), then aformat/aresample;
//   rate_mode "resample": asetrate + aresample (plain resampling: pitch
//                         follows speed, like a tape played faster).
// At rate 1 both are a plain aformat (libswresample underneath).
#pragma once
#include <string>

#include "decode/ffmpeg_util.h"

namespace sp {

class AudioFilter {
public:
  // (Re)build the graph for input frames shaped like `in`.
  int configure(const AVFrame *in, double rate, bool tempo, int out_rate, std::string &err);
  // True if the current graph already fits these parameters.
  bool matches(const AVFrame *in, double rate, bool tempo, int out_rate) const;
  bool configured() const { return graph_ != nullptr; }
  void reset();

  // Feed a frame (nullptr = end of input: flush the filter's tail).
  int push(AVFrame *in);
  // 0 and a frame; AVERROR(EAGAIN) needs more input; AVERROR_EOF when flushed.
  int pull(AVFrame *out);

  // Media seconds covered by one output sample times out_rate (the speed the
  // graph really applies; asetrate rounds to an integer sample rate).
  double effective_rate() const { return effective_rate_; }

private:
  ff::FilterGraphPtr graph_;
  AVFilterContext *src_ = nullptr, *sink_ = nullptr;
  int in_rate_ = 0, in_format_ = -1, out_rate_ = 0;
  AVChannelLayout in_layout_{};
  double rate_ = 1.0, effective_rate_ = 1.0;
  bool tempo_ = true;
};

} // namespace sp
