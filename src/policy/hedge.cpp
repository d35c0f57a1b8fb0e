#include "policy/hedge.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sp {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

Hedge::Hedge(size_t experts, double discount)
    : L_(std::max<size_t>(experts, 1), 0.0), discount_(std::clamp(discount, 1e-6, 1.0)) {}

double Hedge::learning_rate() const {
  const double lnk = std::log(static_cast<double>(L_.size()));
  return delta_ > 0 ? std::max(lnk, 1e-12) / delta_ : kInf;
}

std::vector<double> Hedge::weights(const std::vector<double> *prior) const {
  const size_t K = L_.size();
  std::vector<double> w(K, 0.0);
  auto pri = [&](size_t i) { return prior && prior->size() == K ? std::max(0.0, (*prior)[i]) : 1.0; };
  const double eta = learning_rate();
  double best = kInf;
  for (size_t i = 0; i < K; ++i)
    if (pri(i) > 0) best = std::min(best, L_[i]);
  double tot = 0;
  for (size_t i = 0; i < K; ++i) {
    if (pri(i) <= 0) continue;
    if (std::isinf(eta))
      w[i] = L_[i] <= best ? pri(i) : 0.0; // follow the leader(s)
    else
      w[i] = pri(i) * std::exp(-eta * (L_[i] - best));
    tot += w[i];
  }
  if (!(tot > 0)) {
    std::fill(w.begin(), w.end(), 1.0 / static_cast<double>(K));
    return w;
  }
  for (double &x : w)
    x /= tot;
  return w;
}

double Hedge::update(const std::vector<double> &loss, const std::vector<double> *prior) {
  const size_t K = L_.size();
  if (loss.size() != K) return 0.0;
  const std::vector<double> w = weights(prior);
  const double eta = learning_rate();
  double h = 0, lo = kInf, hi = -kInf, lo_support = kInf;
  for (size_t i = 0; i < K; ++i) {
    h += w[i] * loss[i];
    lo = std::min(lo, loss[i]);
    hi = std::max(hi, loss[i]);
    if (w[i] > 0) lo_support = std::min(lo_support, loss[i]);
  }
  // Mix loss: -1/eta ln sum_i w_i exp(-eta loss_i), computed relative to its
  // smallest term; with eta infinite, the best loss among the played experts.
  double m = lo_support;
  if (!std::isinf(eta)) {
    double s = 0;
    for (size_t i = 0; i < K; ++i)
      if (w[i] > 0) s += w[i] * std::exp(-eta * (loss[i] - lo_support));
    m = lo_support - std::log(s) / eta;
  }
  const double gap = std::max(0.0, h - m); // >= 0 by Jensen; guard rounding
  delta_ = delta_ * discount_ + gap;
  for (size_t i = 0; i < K; ++i)
    L_[i] = L_[i] * discount_ + (loss[i] - lo);
  H_ += h - lo; // charged loss, shifted like L_ (regret is shift-invariant)
  S_ = std::max(S_, hi - lo);
  ++rounds_;
  return h;
}

double Hedge::regret_bound() const {
  const double K = static_cast<double>(L_.size());
  const double lnk = std::log(K);
  const double T = static_cast<double>(rounds_);
  const double S = S_;
  if (T == 0 || S == 0) return 0.0;
  const double lstar = *std::min_element(L_.begin(), L_.end());
  const double TS = T * S;
  const double inner = std::max(0.0, S * lnk * lstar * (TS - lstar) / TS);
  return 2.0 * std::sqrt(inner) + S * (16.0 / 3.0 * lnk + 2.0);
}

} // namespace sp
