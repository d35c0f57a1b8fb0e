#include "decode/audio_filter.h"

#include <cmath>
#include <cstdio>

#include "core/result.h"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace sp {

void AudioFilter::reset() {
  graph_.reset();
  src_ = sink_ = nullptr;
  av_channel_layout_uninit(&in_layout_);
  in_rate_ = 0;
  in_format_ = -1;
}

bool AudioFilter::matches(const AVFrame *in, double rate, bool tempo, int out_rate) const {
  return graph_ && in->sample_rate == in_rate_ && in->format == in_format_ &&
         av_channel_layout_compare(&in->ch_layout, &in_layout_) == 0 && rate == rate_ && tempo == tempo_ &&
         out_rate == out_rate_;
}

int AudioFilter::configure(const AVFrame *in, double rate, bool tempo, int out_rate, std::string &err) {
  reset();
  ff::FilterGraphPtr g(avfilter_graph_alloc());
  if (!g) {
    err = "out of memory";
    return kErrNoMemory;
  }
  g->nb_threads = 1;
  AVChannelLayout layout{};
  if (in->ch_layout.nb_channels > 0 && in->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
    av_channel_layout_copy(&layout, &in->ch_layout);
  } else {
    av_channel_layout_default(&layout, in->ch_layout.nb_channels > 0 ? in->ch_layout.nb_channels : 2);
  }
  char layout_str[128] = {0};
  av_channel_layout_describe(&layout, layout_str, sizeof layout_str);
  const char *fmt_name = av_get_sample_fmt_name(static_cast<AVSampleFormat>(in->format));
  if (!fmt_name || in->sample_rate <= 0) {
    av_channel_layout_uninit(&layout);
    err = "audio frame without a sample format or rate";
    return kErrFormat;
  }
  char args[512];
  std::snprintf(args, sizeof args, "time_base=1/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s", in->sample_rate,
                in->sample_rate, fmt_name, layout_str);
  AVFilterContext *src = nullptr, *sink = nullptr;
  int r = avfilter_graph_create_filter(&src, avfilter_get_by_name("abuffer"), "in", args, nullptr, g.get());
  if (r >= 0) r = avfilter_graph_create_filter(&sink, avfilter_get_by_name("abuffersink"), "out", nullptr, nullptr, g.get());
  if (r < 0) {
    av_channel_layout_uninit(&layout);
    err = "cannot create the audio filter graph (" + ff::av_error_string(r) + ")";
    return kErrInternal;
  }
  char chain[512];
  char aformat[160];
  std::snprintf(aformat, sizeof aformat, "aformat=sample_fmts=s16:channel_layouts=stereo:sample_rates=%d", out_rate);
  double eff = rate;
  if (std::fabs(rate - 1.0) < 1e-9) {
    std::snprintf(chain, sizeof chain, "%s", aformat);
    eff = 1.0;
  } else if (tempo) {
    std::snprintf(chain, sizeof chain, "atempo=%.6f,%s", rate, aformat);
  } else {
    long fake = std::lround(in->sample_rate * rate);
    eff = static_cast<double>(fake) / in->sample_rate;
    std::snprintf(chain, sizeof chain, "asetrate=%ld,aresample=%d,%s", fake, out_rate, aformat);
  }
  AVFilterInOut *outputs = avfilter_inout_alloc();
  AVFilterInOut *inputs = avfilter_inout_alloc();
  if (!outputs || !inputs) {
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    av_channel_layout_uninit(&layout);
    err = "out of memory";
    return kErrNoMemory;
  }
  outputs->name = av_strdup("in");
  outputs->filter_ctx = src;
  outputs->pad_idx = 0;
  outputs->next = nullptr;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = sink;
  inputs->pad_idx = 0;
  inputs->next = nullptr;
  r = avfilter_graph_parse_ptr(g.get(), chain, &inputs, &outputs, nullptr);
  avfilter_inout_free(&outputs);
  avfilter_inout_free(&inputs);
  if (r >= 0) r = avfilter_graph_config(g.get(), nullptr);
  if (r < 0) {
    av_channel_layout_uninit(&layout);
    err = std::string("cannot configure the audio filter '") + chain + "' (" + ff::av_error_string(r) + ")";
    return kErrInternal;
  }
  graph_ = std::move(g);
  src_ = src;
  sink_ = sink;
  in_rate_ = in->sample_rate;
  in_format_ = in->format;
  av_channel_layout_copy(&in_layout_, &in->ch_layout);
  av_channel_layout_uninit(&layout);
  out_rate_ = out_rate;
  rate_ = rate;
  tempo_ = tempo;
  effective_rate_ = eff;
  return kOk;
}

int AudioFilter::push(AVFrame *in) {
  if (!src_) return AVERROR(EINVAL);
  return av_buffersrc_add_frame_flags(src_, in, AV_BUFFERSRC_FLAG_KEEP_REF);
}

int AudioFilter::pull(AVFrame *out) {
  if (!sink_) return AVERROR_EOF;
  return av_buffersink_get_frame(sink_, out);
}

} // namespace sp
