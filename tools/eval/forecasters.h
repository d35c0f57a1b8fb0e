// The forecasters smartplayer-eval can train for the learned policy.
#pragma once
#include <functional>
#include <string>

#include "policy/evaluate.h"
#include "trace/transitions.h"

namespace sp_eval {

using Progress = std::function<void(const std::string &)>;

std::string default_forecaster_kind();  // "hazard" when the hazard model is built in
std::string forecaster_kinds();         // "hazard, empirical"
bool is_forecaster_kind(const std::string &kind);
// `transitions` (may be null): the videos' visual transitions, for the hazard model's features.
sp::ForecasterTrainer
make_forecaster_trainer(const std::string &kind, Progress progress,
                        std::shared_ptr<const sp::VideoTransitions> transitions = nullptr);

} // namespace sp_eval
