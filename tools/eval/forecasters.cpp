#include "forecasters.h"

#include "empirical.h"
#include "positional.h"

#if __has_include("predict/hazard.h")
#define SP_EVAL_HAVE_HAZARD 0  // switched on once the adapter below is written against hazard.h
#else
#define SP_EVAL_HAVE_HAZARD 0
#endif

namespace sp_eval {

std::string default_forecaster_kind() { return SP_EVAL_HAVE_HAZARD ? "hazard" : "positional"; }
std::string forecaster_kinds() { return SP_EVAL_HAVE_HAZARD ? "hazard, positional, empirical" : "positional, empirical"; }
bool is_forecaster_kind(const std::string &k) {
  return k == "empirical" || k == "positional" || (SP_EVAL_HAVE_HAZARD && k == "hazard");
}

sp::ForecasterTrainer make_forecaster_trainer(const std::string &kind, Progress progress) {
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
