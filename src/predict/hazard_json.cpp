// The hazard model's JSON form (HazardModel::to_json / from_json,
// metrics_json): what `smartplayer-train` writes and the behaviour log stores
// (docs/model.md, "Stored model").
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "core/json_error.h"
#include "core/packed_floats.h"
#include "predict/hazard.h"
#include "predict/hazard_impl.h"

namespace sp {

using nlohmann::json;
using namespace sp::hz;

namespace {
json metrics_to_json(const HazardMetrics &m) {
  json cal = json::array();
  for (const auto &b : m.calibration) cal.push_back({{"predicted", b.predicted}, {"observed", b.observed}, {"count", b.count}});
  return json{{"log_loss", m.log_loss},
              {"base_log_loss", m.base_log_loss},
              {"brier", m.brier},
              {"calibration", cal},
              {"sessions_seen", m.sessions_seen},
              {"events_seen", m.events_seen},
              {"examples", m.examples},
              {"train_seconds", m.train_seconds},
              {"holdout_sessions", m.holdout_sessions},
              {"scored_on", m.in_sample() ? "in-sample" : "held-out"}};
}
json genre_to_json(const GenreStats &g) {
  return json{{"rate", g.rate}, {"pause_log_mean", g.pause_log_mean}, {"pause_log_sd", g.pause_log_sd},
              {"pct_hz", g.pct_hz}};
}
constexpr size_t kViewerFields = 12;

bool finite_number(const json &j) { return j.is_number() && std::isfinite(j.get<double>()); }
double num(const json &j, const char *key) {
  const json &v = j.at(key);
  if (!finite_number(v)) throw std::runtime_error(std::string("\"") + key + "\" is not a finite number");
  return v.get<double>();
}
GenreStats genre_from_json(const json &j) {
  GenreStats g;
  g.rate = num(j, "rate");
  g.pause_log_mean = num(j, "pause_log_mean");
  g.pause_log_sd = num(j, "pause_log_sd");
  const json &p = j.at("pct_hz");
  if (!p.is_array() || p.size() != 100) throw std::runtime_error("genre pct_hz must hold 100 numbers");
  for (size_t i = 0; i < 100; ++i) {
    if (!finite_number(p[i])) throw std::runtime_error("genre pct_hz holds a non-number");
    g.pct_hz[i] = p[i].get<double>();
  }
  g.finish();
  return g;
}
} // namespace

std::string HazardModel::metrics_json() const {
  return metrics_to_json(impl_->metrics).dump();
}

std::string HazardModel::to_json() const {
  const Impl &I = *impl_;
  json j;
  j["format"] = kHazardFormat;
  j["kind"] = kKind;
  j["horizons_ms"] = I.horizons;
  j["l2"] = I.l2;
  json names = json::array();
  for (int f = 0; f < kFeatureCount; ++f) names.push_back(feature_name(f));
  j["features"] = names;
  json states = json::array();
  for (int st = 0; st < kStates; ++st) {
    json arr = json::array();
    for (size_t k = 0; k < I.nb(); ++k) {
      const BandModel &b = I.bands[static_cast<size_t>(st) * I.nb() + k];
      arr.push_back(json{{"intercept", b.intercept}, {"coef", b.coef}, {"mean", b.mean}, {"scale", b.scale},
                         {"rows", b.rows}, {"positives", b.positives}, {"iterations", b.iterations},
                         {"converged", b.converged}});
    }
    states.push_back(json{{"state", state_name(st)}, {"bands", arr}});
  }
  j["states"] = states;
  j["base_rate"] = I.base_rate;
  const GlobalStats &G = I.stats.global;
  j["global"] = json{{"rate", G.rate}, {"pause_log_mean", G.pause_log_mean}, {"pause_log_sd", G.pause_log_sd},
                     {"gap_log_mean", G.gap_log_mean}, {"kind_frac", G.kind_frac}};
  j["all_genres"] = genre_to_json(I.stats.global_genre);
  json genres = json::object();
  for (const auto &[name, g] : I.stats.genres) genres[name] = genre_to_json(g);
  j["genres"] = genres;
  // Videos and viewers are packed (ids in a list, numbers as base64 of
  // little-endian floats) so that a model of thousands loads in milliseconds.
  {
    std::vector<std::string> ids;
    ids.reserve(I.stats.videos.size());
    for (const auto &[id, v] : I.stats.videos) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    json genre = json::array(), dur = json::array(), bins = json::array();
    std::vector<double> hz;
    for (const auto &id : ids) {
      const VideoStats &v = I.stats.videos.at(id);
      genre.push_back(v.genre);
      dur.push_back(v.duration_ms);
      bins.push_back(v.hz.size());
      hz.insert(hz.end(), v.hz.begin(), v.hz.end());
    }
    j["videos"] = json{{"ids", ids}, {"genre", genre}, {"duration_ms", dur}, {"bins", bins}, {"bin_ms", kBinMs},
                       {"hz_f32", pack_floats(hz, FloatWidth::F32)}};
  }
  {
    std::vector<std::string> ids;
    ids.reserve(I.stats.viewers.size());
    for (const auto &[id, v] : I.stats.viewers) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    std::vector<double> st;
    st.reserve(ids.size() * kViewerFields);
    for (const auto &id : ids) {
      const ViewerStats &v = I.stats.viewers.at(id);
      for (double x : {v.sessions, v.play_actions, v.play_expected, v.pause_log_sum, v.pauses, v.gap_log_sum, v.gaps,
                       v.actions, v.kinds[0], v.kinds[1], v.kinds[2], v.kinds[3]})
        st.push_back(x);
    }
    j["viewers"] = json{{"ids", ids},
                        {"fields", {"sessions", "play_actions", "play_expected", "pause_log_sum", "pauses",
                                    "gap_log_sum", "gaps", "actions", "kind_pause", "kind_seek", "kind_rate",
                                    "kind_volume"}},
                        {"stats_f64", pack_floats(st, FloatWidth::F64)}};
  }
  {
    // Visual transitions per video (ms), for the transition features.
    json tj = json::object();
    for (const auto &[id, pos] : I.stats.transitions)
      tj[id] = pos;
    j["transitions"] = tj;
    // What each of them is worth (reactions per crossing; float precision, as trained).
    json wj = json::object();
    for (const auto &[id, w] : I.stats.cut_weights)
      wj[id] = w;
    j["cut_weights"] = wj;
    j["cut_prior"] = I.stats.cut_prior;
  }
  // The age curves (hazard per second by age bin, per state; an empty array: flat).
  {
    json aj = json::object();
    for (int k = 0; k < kStates; ++k) aj[state_name(k)] = I.stats.age[static_cast<size_t>(k)].hazards();
    j["age_hazard"] = aj;
  }
  j["metrics"] = metrics_to_json(I.metrics);
  return j.dump();
}

std::shared_ptr<const HazardModel> HazardModel::from_json(const std::string &text, std::string &err) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    if (!j.contains("format") || !j["format"].is_string()) throw std::runtime_error("no \"format\" field");
    if (j["format"].get<std::string>() != kHazardFormat)
      throw std::runtime_error("unknown format \"" + j["format"].get<std::string>() + "\" (expected \"" + kHazardFormat + "\")");
    auto impl = std::make_unique<Impl>();
    for (const json &h : j.at("horizons_ms")) {
      if (!h.is_number_integer()) throw std::runtime_error("horizons_ms must hold integers");
      impl->horizons.push_back(h.get<int64_t>());
    }
    if (impl->horizons.empty()) throw std::runtime_error("no horizons");
    for (size_t k = 0; k < impl->horizons.size(); ++k)
      if (impl->horizons[k] <= 0 || (k && impl->horizons[k] <= impl->horizons[k - 1]))
        throw std::runtime_error("horizons must be positive and increasing");
    impl->l2 = num(j, "l2");
    const json &names = j.at("features");
    if (!names.is_array() || names.size() != static_cast<size_t>(kFeatureCount))
      throw std::runtime_error("feature list does not match this build (" + std::to_string(kFeatureCount) + " features)");
    for (int f = 0; f < kFeatureCount; ++f)
      if (names[static_cast<size_t>(f)] != feature_name(f))
        throw std::runtime_error(std::string("feature ") + std::to_string(f) + " is not \"" + feature_name(f) + "\"");
    const json &states = j.at("states");
    if (!states.is_array() || states.size() != static_cast<size_t>(kStates)) throw std::runtime_error("states: expected 3");
    const size_t nb = impl->horizons.size();
    impl->bands.resize(kStates * nb);
    for (int st = 0; st < kStates; ++st) {
      const json &arr = states[static_cast<size_t>(st)].at("bands");
      if (!arr.is_array() || arr.size() != nb) throw std::runtime_error("one model per horizon band expected");
      for (size_t k = 0; k < nb; ++k) {
        const json &b = arr[k];
        BandModel &bm = impl->bands[static_cast<size_t>(st) * nb + k];
        bm.intercept = num(b, "intercept");
        for (const char *key : {"coef", "mean", "scale"}) {
          const json &v = b.at(key);
          if (!v.is_array() || v.size() != static_cast<size_t>(kFeatureCount))
            throw std::runtime_error(std::string(key) + ": expected one number per feature");
          std::vector<double> out;
          out.reserve(v.size());
          for (const json &x : v) {
            if (!finite_number(x)) throw std::runtime_error(std::string(key) + " holds a non-number");
            out.push_back(x.get<double>());
          }
          (std::string(key) == "coef" ? bm.coef : std::string(key) == "mean" ? bm.mean : bm.scale) = std::move(out);
        }
        bm.rows = b.value("rows", int64_t{0});
        bm.positives = b.value("positives", 0.0);
        bm.iterations = b.value("iterations", 0);
        bm.converged = b.value("converged", true);
      }
    }
    for (const json &x : j.at("base_rate")) {
      if (!finite_number(x)) throw std::runtime_error("base_rate holds a non-number");
      impl->base_rate.push_back(x.get<double>());
    }
    if (impl->base_rate.size() != nb) throw std::runtime_error("base_rate: one per band expected");
    const json &g = j.at("global");
    GlobalStats &G = impl->stats.global;
    G.rate = num(g, "rate");
    G.pause_log_mean = num(g, "pause_log_mean");
    G.pause_log_sd = num(g, "pause_log_sd");
    G.gap_log_mean = num(g, "gap_log_mean");
    const json &kf = g.at("kind_frac");
    if (!kf.is_array() || kf.size() != static_cast<size_t>(kKindGroups)) throw std::runtime_error("kind_frac: 4 numbers expected");
    for (size_t k = 0; k < static_cast<size_t>(kKindGroups); ++k) G.kind_frac[k] = kf[k].get<double>();
    impl->stats.global_genre = genre_from_json(j.at("all_genres"));
    for (const auto &[name, gj] : j.at("genres").items()) impl->stats.genres.emplace(name, genre_from_json(gj));
    {
      const json &vj = j.at("videos");
      const json &ids = vj.at("ids"), &genre = vj.at("genre"), &dur = vj.at("duration_ms"), &bins = vj.at("bins");
      if (!ids.is_array() || !genre.is_array() || !dur.is_array() || !bins.is_array() || genre.size() != ids.size() ||
          dur.size() != ids.size() || bins.size() != ids.size())
        throw std::runtime_error("videos: ids, genre, duration_ms and bins must be arrays of one length");
      if (vj.at("bin_ms") != kBinMs) throw std::runtime_error("videos: unsupported bin_ms");
      std::vector<double> hz;
      if (!unpack_floats(vj.at("hz_f32").get<std::string>(), FloatWidth::F32, hz)) throw std::runtime_error("videos: hz_f32 is not valid base64 floats");
      size_t at = 0;
      impl->stats.videos.reserve(ids.size());
      for (size_t i = 0; i < ids.size(); ++i) {
        VideoStats v;
        v.genre = genre[i].get<std::string>();
        v.duration_ms = dur[i].get<int64_t>();
        size_t nbins = bins[i].get<size_t>();
        if (nbins > hz.size() - at) throw std::runtime_error("videos: hz_f32 holds fewer numbers than bins say");
        v.hz.assign(hz.begin() + static_cast<std::ptrdiff_t>(at), hz.begin() + static_cast<std::ptrdiff_t>(at + nbins));
        at += nbins;
        v.finish();
        impl->stats.videos.emplace(ids[i].get<std::string>(), std::move(v));
      }
      if (at != hz.size()) throw std::runtime_error("videos: hz_f32 holds more numbers than bins say");
    }
    if (j.contains("transitions")) {
      const json &tj = j.at("transitions");
      if (!tj.is_object()) throw std::runtime_error("transitions: an object of arrays expected");
      for (const auto &[id, pos] : tj.items()) {
        std::vector<int64_t> v = pos.get<std::vector<int64_t>>();
        if (!std::is_sorted(v.begin(), v.end()))
          throw std::runtime_error("transitions of " + id + ": not ascending");
        impl->stats.transitions.emplace(id, std::move(v));
      }
    }
    impl->stats.cut_prior = j.value("cut_prior", 0.0);
    if (!std::isfinite(impl->stats.cut_prior) || impl->stats.cut_prior < 0)
      throw std::runtime_error("cut_prior: a finite number >= 0 expected");
    if (j.contains("cut_weights")) {
      const json &wj = j.at("cut_weights");
      if (!wj.is_object()) throw std::runtime_error("cut_weights: an object of arrays expected");
      for (const auto &[id, wv] : wj.items()) {
        std::vector<double> w = wv.get<std::vector<double>>();
        const auto *tr = impl->stats.transitions_of(id);
        if (!tr || tr->size() != w.size())
          throw std::runtime_error("cut_weights of " + id + ": one per transition expected");
        for (double x : w)
          if (!std::isfinite(x) || x < 0) throw std::runtime_error("cut_weights of " + id + ": finite numbers >= 0 expected");
        impl->stats.cut_weights.emplace(id, std::move(w));
      }
    }
    if (j.contains("age_hazard")) {
      const json &aj = j.at("age_hazard");
      if (!aj.is_object()) throw std::runtime_error("age_hazard: an object of arrays expected");
      for (int k = 0; k < kStates; ++k) {
        if (!aj.contains(state_name(k))) continue;
        std::string aerr;
        if (!AgeCurve::from_hazards(aj.at(state_name(k)).get<std::vector<double>>(), impl->stats.age[static_cast<size_t>(k)], aerr))
          throw std::runtime_error(std::string("age_hazard of ") + state_name(k) + ": " + aerr);
      }
    }
    {
      const json &vj = j.at("viewers");
      const json &ids = vj.at("ids");
      if (!ids.is_array()) throw std::runtime_error("viewers: ids must be an array");
      std::vector<double> st;
      if (!unpack_floats(vj.at("stats_f64").get<std::string>(), FloatWidth::F64, st) || st.size() != ids.size() * kViewerFields)
        throw std::runtime_error("viewers: stats_f64 must hold 12 numbers per viewer");
      impl->stats.viewers.reserve(ids.size());
      for (size_t i = 0; i < ids.size(); ++i) {
        const double *a = st.data() + i * kViewerFields;
        ViewerStats v;
        v.sessions = a[0]; v.play_actions = a[1]; v.play_expected = a[2]; v.pause_log_sum = a[3]; v.pauses = a[4];
        v.gap_log_sum = a[5]; v.gaps = a[6]; v.actions = a[7];
        for (size_t k = 0; k < 4; ++k) v.kinds[k] = a[8 + k];
        impl->stats.viewers.emplace(ids[i].get<std::string>(), v);
      }
    }
    impl->stats.derive();
    if (j.contains("metrics") && j["metrics"].is_object()) {
      const json &m = j["metrics"];
      HazardMetrics &M = impl->metrics;
      M.log_loss = m.value("log_loss", -1.0);
      M.base_log_loss = m.value("base_log_loss", -1.0);
      M.brier = m.value("brier", -1.0);
      M.sessions_seen = m.value("sessions_seen", int64_t{0});
      M.events_seen = m.value("events_seen", int64_t{0});
      M.examples = m.value("examples", int64_t{0});
      M.train_seconds = m.value("train_seconds", 0.0);
      M.holdout_sessions = m.value("holdout_sessions", int64_t{0});
      if (m.contains("calibration") && m["calibration"].is_array())
        for (const json &b : m["calibration"])
          M.calibration.push_back({b.value("predicted", 0.0), b.value("observed", 0.0), b.value("count", int64_t{0})});
    }
    err.clear();
    return std::make_shared<const HazardModel>(std::move(impl));
  } catch (const std::exception &e) {
    err = "hazard model JSON: " + json_error_text(e);
    return nullptr;
  }
}

} // namespace sp
