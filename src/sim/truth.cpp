// The simulator's ground truth as JSON Lines (smartplayer-sim --truth), read
// back by smartplayer-eval for the Bayes reference (docs/simulator.md), and
// the given videos' reader (smartplayer-sim --add-videos).
#include <charconv>
#include <initializer_list>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_error.h"
#include "sim/simulator.h"

namespace sp::sim {

namespace {

using nlohmann::json;
constexpr const char *kTruthFormat = "smartplayer-sim-truth/1";
constexpr const char *kActionNames[7] = {"pause", "seek_forward", "seek_back", "volume",
                                         "mute",  "rate",         "stop"};

json video_json(const Video &v) {
  return json{{"id", v.id},
              {"genre", std::string(genre_name(v.genre))},
              {"duration_ms", v.duration_ms},
              {"intro_end_ms", v.intro_end_ms},
              {"credits_start_ms", v.credits_start_ms},
              {"scene_ms", v.scene_ms},
              {"scene_salience", v.scene_salience},
              {"popularity", v.popularity}};
}

json viewer_json(const Viewer &v) {
  json pref = json::object(), act = json::object();
  for (size_t g = 0; g < kGenreCount; ++g)
    pref[std::string(genre_name(static_cast<Genre>(g)))] = v.genre_pref[g];
  for (size_t a = 0; a < v.action_weight.size(); ++a)
    act[kActionNames[a]] = v.action_weight[a];
  return json{{"id", v.id},
              {"archetype", std::string(archetype_name(v.archetype))},
              {"genre_pref", pref},
              {"activity", v.activity},
              {"base_rate_per_min", v.base_rate_per_min},
              {"structure_gain", v.structure_gain},
              {"action_weight", act},
              {"skip_intro_prob", v.skip_intro_prob},
              {"pause_median_s", v.pause_median_s},
              {"pause_sigma", v.pause_sigma},
              {"walk_away_prob", v.walk_away_prob},
              {"rewatch_prob", v.rewatch_prob},
              {"preferred_rate", v.preferred_rate},
              {"rate_change_prob", v.rate_change_prob},
              {"finish_prob", v.finish_prob},
              {"credits_skip_prob", v.credits_skip_prob},
              {"binge_prob", v.binge_prob},
              {"preferred_hour", v.preferred_hour},
              {"volume", v.volume}};
}

// The fields `keys` of `full` (a summary of one of the objects above).
json pick(const json &full, std::initializer_list<const char *> keys) {
  json j = json::object();
  for (const char *k : keys)
    j[k] = full.at(k);
  return j;
}

// The value of E, among its first `count`, that `name_of` names `name`.
template <class E, class NameOf> bool parse_named(const std::string &name, int count, NameOf name_of, E &out) {
  for (int i = 0; i < count; ++i)
    if (name_of(static_cast<E>(i)) == name) {
      out = static_cast<E>(i);
      return true;
    }
  return false;
}

bool parse_genre(const std::string &name, Genre &g) { return parse_named(name, kGenreCount, genre_name, g); }
bool parse_archetype(const std::string &name, Archetype &a) {
  return parse_named(name, kArchetypeCount, archetype_name, a);
}

// json.at() throws on a missing key or a wrong type; the reader turns that into an error.
Video video_from(const json &j) {
  Video v;
  v.id = j.at("id").get<std::string>();
  if (!parse_genre(j.at("genre").get<std::string>(), v.genre)) throw std::invalid_argument("unknown genre");
  v.duration_ms = j.at("duration_ms").get<int64_t>();
  v.intro_end_ms = j.at("intro_end_ms").get<int64_t>();
  v.credits_start_ms = j.at("credits_start_ms").get<int64_t>();
  v.scene_ms = j.at("scene_ms").get<std::vector<int64_t>>();
  v.scene_salience = j.at("scene_salience").get<std::vector<double>>();
  if (v.scene_ms.size() != v.scene_salience.size())
    throw std::invalid_argument("scene_ms and scene_salience differ in length");
  v.popularity = j.at("popularity").get<double>();
  return v;
}

Viewer viewer_from(const json &j) {
  Viewer v;
  v.id = j.at("id").get<std::string>();
  if (!parse_archetype(j.at("archetype").get<std::string>(), v.archetype))
    throw std::invalid_argument("unknown archetype");
  const json &pref = j.at("genre_pref");
  for (size_t g = 0; g < kGenreCount; ++g)
    v.genre_pref[g] = pref.at(std::string(genre_name(static_cast<Genre>(g)))).get<double>();
  const json &act = j.at("action_weight");
  for (size_t a = 0; a < v.action_weight.size(); ++a)
    v.action_weight[a] = act.at(kActionNames[a]).get<double>();
  v.activity = j.at("activity").get<double>();
  v.base_rate_per_min = j.at("base_rate_per_min").get<double>();
  v.structure_gain = j.at("structure_gain").get<double>();
  v.skip_intro_prob = j.at("skip_intro_prob").get<double>();
  v.pause_median_s = j.at("pause_median_s").get<double>();
  v.pause_sigma = j.at("pause_sigma").get<double>();
  v.walk_away_prob = j.at("walk_away_prob").get<double>();
  v.rewatch_prob = j.at("rewatch_prob").get<double>();
  v.preferred_rate = j.at("preferred_rate").get<double>();
  v.rate_change_prob = j.at("rate_change_prob").get<double>();
  v.finish_prob = j.at("finish_prob").get<double>();
  v.credits_skip_prob = j.at("credits_skip_prob").get<double>();
  v.binge_prob = j.at("binge_prob").get<double>();
  v.preferred_hour = j.at("preferred_hour").get<double>();
  v.volume = j.at("volume").get<int>();
  return v;
}

json options_json(const SimOptions &o) {
  return json{{"mode", std::string(mode_name(o.mode))},
              {"viewers", o.viewers},
              {"sessions_per_viewer", o.sessions_per_viewer},
              {"total_sessions", o.total_sessions},
              {"videos", o.videos},
              {"seed", o.seed},
              {"start_wall_ms", o.start_wall_ms},
              {"duration_scale", o.duration_scale},
              {"mean_gap_s", o.mean_gap_s},
              {"mean_session_s", o.mean_session_s}};
}

SimOptions options_from(const json &j) {
  SimOptions o;
  if (!parse_mode(j.at("mode").get<std::string>(), o.mode)) throw std::invalid_argument("unknown mode");
  o.viewers = j.at("viewers").get<int>();
  o.sessions_per_viewer = j.at("sessions_per_viewer").get<double>();
  o.total_sessions = j.at("total_sessions").get<int64_t>();
  o.videos = j.at("videos").get<int>();
  o.seed = j.at("seed").get<uint64_t>();
  o.start_wall_ms = j.at("start_wall_ms").get<int64_t>();
  o.duration_scale = j.at("duration_scale").get<double>();
  o.mean_gap_s = j.at("mean_gap_s").get<double>();
  o.mean_session_s = j.at("mean_session_s").get<double>();
  return o;
}

} // namespace

const Video *Truth::find_video(std::string_view id) const {
  for (const auto &v : videos)
    if (v.id == id) return &v;
  return nullptr;
}

const Viewer *Truth::find_viewer(std::string_view id, int k) const {
  for (size_t i = 0; i < viewers.size(); ++i)
    if (viewers[i].id == id) return (i < drift_at.size() && k >= drift_at[i]) ? &drifted[i] : &viewers[i];
  return nullptr;
}

int session_index(std::string_view id) {
  auto p = id.rfind("-s");
  if (p == std::string_view::npos || p + 2 >= id.size()) return -1;
  int n = 0;
  auto r = std::from_chars(id.data() + p + 2, id.data() + id.size(), n);
  if (r.ec != std::errc() || r.ptr != id.data() + id.size() || n < 1) return -1;
  return n - 1;
}

void write_catalogue(std::ostream &out, const Simulator &sim) {
  for (const auto &v : sim.catalogue())
    out << pick(video_json(v), {"id", "genre", "duration_ms", "intro_end_ms", "credits_start_ms", "scene_ms",
                                "popularity"})
               .dump()
        << '\n';
}

void write_viewers(std::ostream &out, const Simulator &sim) {
  for (size_t i = 0; i < sim.viewers().size(); ++i) {
    json j = pick(viewer_json(sim.viewers()[i]),
                  {"id", "archetype", "genre_pref", "base_rate_per_min", "structure_gain", "skip_intro_prob",
                   "pause_median_s", "pause_sigma", "rewatch_prob", "preferred_rate", "finish_prob", "binge_prob",
                   "preferred_hour"});
    j["sessions"] = sim.session_counts()[i];
    out << j.dump() << '\n';
  }
}

void write_truth(std::ostream &out, const Truth &t) {
  out << json{{"truth", kTruthFormat}, {"options", options_json(t.options)}}.dump() << '\n';
  for (const auto &v : t.videos)
    out << json{{"video", video_json(v)}}.dump() << '\n';
  for (size_t i = 0; i < t.viewers.size(); ++i) {
    json line{{"viewer", viewer_json(t.viewers[i])}};
    if (i < t.drift_at.size() && i < t.drifted.size()) {
      line["drift_at"] = t.drift_at[i];
      line["drifted"] = viewer_json(t.drifted[i]);
    }
    out << line.dump() << '\n';
  }
}

bool read_truth(std::istream &in, Truth &out, std::string &err) {
  out = Truth{};
  std::string line;
  size_t n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      json j = json::parse(line);
      if (!header) {
        if (!j.is_object() || j.value("truth", "") != kTruthFormat) {
          err = "line " + std::to_string(n) + ": not a smartplayer-sim truth file (want \"truth\": \"" +
                kTruthFormat + "\")";
          return false;
        }
        out.options = options_from(j.at("options"));
        header = true;
      } else if (j.contains("video")) {
        out.videos.push_back(video_from(j.at("video")));
      } else if (j.contains("viewer")) {
        out.viewers.push_back(viewer_from(j.at("viewer")));
        if (j.contains("drift_at")) {
          out.drift_at.resize(out.viewers.size() - 1, 1 << 30);
          out.drifted.resize(out.viewers.size() - 1);
          out.drift_at.push_back(j.at("drift_at").get<int>());
          out.drifted.push_back(viewer_from(j.at("drifted")));
        }
      } else {
        err = "line " + std::to_string(n) + ": neither a video nor a viewer";
        return false;
      }
    } catch (const std::exception &e) {
      err = "line " + std::to_string(n) + ": " + json_error_text(e);
      return false;
    }
  }
  if (!header) {
    err = "empty truth file";
    return false;
  }
  if (!out.drift_at.empty()) {
    out.drift_at.resize(out.viewers.size(), 1 << 30);
    out.drifted.resize(out.viewers.size());
  }
  return true;
}

bool read_truth_file(const std::string &path, Truth &out, std::string &err) {
  return read_file_with(path, err, [&](std::istream &in, std::string &e) { return read_truth(in, out, e); });
}

namespace {

// One given video from its JSON object (see read_given_videos); throws with the reason.
Video given_video_from(const json &j) {
  if (!j.is_object()) throw std::invalid_argument("a JSON object expected");
  Video v;
  v.id = j.at("id").get<std::string>();
  if (v.id.empty()) throw std::invalid_argument("empty id");
  const std::string genre = j.at("genre").get<std::string>();
  if (!parse_genre(genre, v.genre)) throw std::invalid_argument("unknown genre \"" + genre + "\"");
  v.duration_ms = j.at("duration_ms").get<int64_t>();
  if (v.duration_ms <= 0) throw std::invalid_argument("duration_ms must be > 0");
  v.intro_end_ms = j.value("intro_end_ms", int64_t{0});
  v.credits_start_ms = j.value("credits_start_ms", v.duration_ms);
  if (v.intro_end_ms < 0 || v.intro_end_ms >= v.duration_ms)
    throw std::invalid_argument("intro_end_ms must be in [0, duration_ms)");
  if (v.credits_start_ms <= v.intro_end_ms || v.credits_start_ms > v.duration_ms)
    throw std::invalid_argument("credits_start_ms must be in (intro_end_ms, duration_ms]");
  if (j.contains("scene_ms")) v.scene_ms = j.at("scene_ms").get<std::vector<int64_t>>();
  for (size_t k = 0; k < v.scene_ms.size(); ++k) {
    if (v.scene_ms[k] <= v.intro_end_ms || v.scene_ms[k] >= v.credits_start_ms)
      throw std::invalid_argument("scene_ms: " + std::to_string(v.scene_ms[k]) +
                                  " is not inside (intro_end_ms, credits_start_ms)");
    if (k > 0 && v.scene_ms[k] <= v.scene_ms[k - 1]) throw std::invalid_argument("scene_ms: not ascending");
  }
  if (j.contains("scene_salience")) {
    v.scene_salience = j.at("scene_salience").get<std::vector<double>>();
    if (v.scene_salience.size() != v.scene_ms.size())
      throw std::invalid_argument("scene_salience and scene_ms differ in length");
    for (double x : v.scene_salience)
      if (!(x > 0 && x < 1e6)) throw std::invalid_argument("scene_salience must be > 0");
  } else {
    v.scene_salience.assign(v.scene_ms.size(), 1.0);
  }
  v.popularity = j.value("popularity", 1.0);
  if (!(v.popularity > 0 && v.popularity < 1e12)) throw std::invalid_argument("popularity must be > 0");
  return v;
}

} // namespace

bool read_given_videos(std::istream &in, std::vector<Video> &out, std::string &err) {
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      Video v = given_video_from(json::parse(line));
      for (const auto &o : out)
        if (o.id == v.id) throw std::invalid_argument("video \"" + v.id + "\" listed twice");
      out.push_back(std::move(v));
    } catch (const std::exception &e) {
      err = "line " + std::to_string(n) + ": " + json_error_text(e);
      return false;
    }
  }
  return true;
}

bool read_given_videos_file(const std::string &path, std::vector<Video> &out, std::string &err) {
  return read_file_with(path, err, [&](std::istream &in, std::string &e) { return read_given_videos(in, out, e); });
}

} // namespace sp::sim
