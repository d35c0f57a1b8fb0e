// The forecasters smartplayer-eval can train for the learned policy.
#pragma once
#include <functional>
#include <string>

#include "policy/evaluate.h"

namespace sp_eval {

using Progress = std::function<void(const std::string &)>;

std::string default_forecaster_kind();  // "hazard" when the hazard model is built in
std::string forecaster_kinds();         // "hazard, empirical"
bool is_forecaster_kind(const std::string &kind);
sp::ForecasterTrainer make_forecaster_trainer(const std::string &kind, Progress progress);

} // namespace sp_eval
