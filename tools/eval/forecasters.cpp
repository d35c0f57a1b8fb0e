#include "forecasters.h"

#include "empirical.h"
#include "positional.h"

#if __has_include("predict/hazard.h")
#define SP_EVAL_HAVE_HAZARD 1
#include <cstdio>

#include "predict/hazard.h"
#else
#define SP_EVAL_HAVE_HAZARD 0
#endif

namespace sp_eval {

std::string default_forecaster_kind() { return SP_EVAL_HAVE_HAZARD ? "hazard" : "positional"; }
std::string forecaster_kinds() { return SP_EVAL_HAVE_HAZARD ? "hazard, positional, empirical" : "positional, empirical"; }
bool is_forecaster_kind(const std::string &k) {
  return k == "empirical" || k == "positional" || (SP_EVAL_HAVE_HAZARD && k == "hazard");
}

sp::ForecasterTrainer make_forecaster_trainer(const std::string &kind, Progress progress,
                                              std::shared_ptr<const sp::VideoTransitions> transitions) {
#if SP_EVAL_HAVE_HAZARD
  if (kind == "hazard")
    return [progress, transitions](const std::vector<const sp::TraceSession *> &train,
                                   std::string &err) -> std::shared_ptr<const sp::Forecaster> {
      if (progress) progress("training hazard model on " + std::to_string(train.size()) + " sessions");
      int last = -1;
      sp::TrainProgress tp;
      if (progress)
        tp = [&progress, &last](const std::string &msg, double fraction) {
          int pct = static_cast<int>(fraction * 100.0);
          if (pct / 10 == last / 10 && fraction < 1.0) return;  // every 10 %
          last = pct;
          char buf[32];
          std::snprintf(buf, sizeof buf, "hazard %3d%%: ", pct);
          progress(buf + msg);
        };
      sp::HazardOptions ho;
      ho.transitions = transitions;
      auto m = sp::HazardModel::train(train, ho, tp, err);
      if (m && progress)
        progress(m->describe() + ", trained in " + std::to_string(m->metrics().train_seconds) + " s");
      return m;
    };
#endif
  if (kind == "positional")
    return [progress](const std::vector<const sp::TraceSession *> &train,
                      std::string &) -> std::shared_ptr<const sp::Forecaster> {
      if (progress) progress("training positional forecaster on " + std::to_string(train.size()) + " sessions");
      return PositionalForecaster::train(train);
    };
  return [progress](const std::vector<const sp::TraceSession *> &train,
                    std::string &) -> std::shared_ptr<const sp::Forecaster> {
    if (progress) progress("training empirical forecaster on " + std::to_string(train.size()) + " sessions");
    return EmpiricalForecaster::train(train);
  };
}

} // namespace sp_eval
