#include "player/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "core/saturating.h"
#include "policy/factory.h"
#include "smartplayer.h"

namespace sp {
namespace {

// Numbers are decimal (no hex, no inf or nan), with an optional '+' and
// spaces around them allowed: " 5", "5 " and "+5" alike.
std::string_view number_text(const std::string &s) {
  std::string_view v = s;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())))
    v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
    v.remove_suffix(1);
  if (v.size() > 1 && v.front() == '+' && v[1] != '-') v.remove_prefix(1);
  return v;
}

bool parse_int(const std::string &s, long lo, long hi, int &out) {
  const std::string_view t = number_text(s);
  long v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v, 10);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

bool parse_double(const std::string &s, double &out) {
  const std::string_view t = number_text(s);
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool parse_output(const std::string &s, PlayerConfig::Output &o) {
  if (s == "sdl")
    o = PlayerConfig::Output::Sdl;
  else if (s == "callback")
    o = PlayerConfig::Output::Callback;
  else if (s == "none")
    o = PlayerConfig::Output::None;
  else
    return false;
  return true;
}

bool parse_bool01(const std::string &s, bool &b) {
  if (s == "1")
    b = true;
  else if (s == "0")
    b = false;
  else
    return false;
  return true;
}

} // namespace

int PlayerConfig::set(const std::string &key, const std::string &value, std::string &err) {
  auto bad = [&](const std::string &expect) {
    err = "bad value '" + value + "' for '" + key + "': expected " + expect;
    return SP_ERR_INVALID_ARGUMENT;
  };
  if (key == "video_output") {
    if (!parse_output(value, video_output)) return bad("sdl, callback or none");
  } else if (key == "audio_output") {
    if (!parse_output(value, audio_output)) return bad("sdl, callback or none");
  } else if (key == "window_title") {
    window_title = value;
  } else if (key == "window_width") {
    if (!parse_int(value, 0, 16384, window_width)) return bad("an integer in [0, 16384]");
  } else if (key == "window_height") {
    if (!parse_int(value, 0, 16384, window_height)) return bad("an integer in [0, 16384]");
  } else if (key == "audio_rate") {
    if (!parse_int(value, 8000, 192000, audio_rate)) return bad("a sample rate in [8000, 192000]");
  } else if (key == "rate_mode") {
    if (value == "tempo")
      rate_mode = RateMode::Tempo;
    else if (value == "resample")
      rate_mode = RateMode::Resample;
    else
      return bad("tempo or resample");
  } else if (key == "db") {
    db = value;
  } else if (key == "db_busy_timeout_ms") {
    if (!parse_int(value, 0, 3600000, db_busy_timeout_ms)) return bad("milliseconds in [0, 3600000]");
  } else if (key == "log_batch_ms") {
    if (!parse_int(value, 0, 60000, log_batch_ms)) return bad("milliseconds in [0, 60000]");
  } else if (key == "policy") {
    const auto &names = live_policy_choices();
    if (std::find(names.begin(), names.end(), value) == names.end()) return bad(list_names(names, " or "));
    policy = value;
  } else if (key == "cost") {
    CostModel parsed;
    std::string why;
    if (!CostModel::parse(value, parsed, &why))
      return bad("\"h,w,m\": three plain decimal numbers, h > 0, w and m >= 0 (" + why + ")");
    cost = value;
  } else if (key == "timeout_s") {
    double d;
    // Up to ~31.7 years (kForeverMs): beyond that the milliseconds would not fit a deadline.
    if (!parse_double(value, d) || d <= 0 || d > static_cast<double>(kForeverMs) / 1000.0)
      return bad("a number of seconds in (0, 1e9]");
    timeout_s = d;
  } else if (key == "strict") {
    if (!parse_bool01(value, strict)) return bad("0 or 1");
  } else if (key == "online_learning") {
    if (!parse_bool01(value, online_learning)) return bad("0 or 1");
  } else if (key == "log_level") {
    if (!log_level_from_name(value, log_level)) return bad("quiet, error, warning, info, verbose or debug");
  } else if (key == "network_timeout_ms") {
    if (!parse_int(value, 1, 3600000, network_timeout_ms)) return bad("milliseconds in [1, 3600000]");
  } else if (key == "audio_release_ms") {
    if (!parse_int(value, 0, 3600000, audio_release_ms)) return bad("milliseconds in [0, 3600000]");
  } else if (key == "framedrop") {
    if (!parse_bool01(value, framedrop)) return bad("0 or 1");
  } else {
    err = "unknown configuration key '" + key + "'";
    return SP_ERR_INVALID_ARGUMENT;
  }
  return SP_OK;
}

} // namespace sp
