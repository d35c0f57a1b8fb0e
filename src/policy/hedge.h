// Prediction with expert advice: AdaHedge (de Rooij, van Erven, Grünwald and
// Koolen, "Follow the leader if you can, hedge if you must", JMLR 2014), the
// exponential-weights learner whose learning rate tunes itself from the
// losses it sees, so it needs no bound on their range. The learned sleep
// policy (docs/model.md, "Learned") uses it to weigh its experts (plans on the
// forecast, fixed timeouts) by what each would have cost on every gap so far.
//
// Guarantee (their Theorem 8, uniform prior, no discount): after any sequence
// of loss vectors, whatever chose them, the mixture's expected loss H (the
// sum of the weighted losses it was charged) is at most the best expert's L*
// plus
//     regret_bound = 2 sqrt(S ln K L* (T S - L*) / (T S)) + S (16/3 ln K + 2)
//                  <= 2 sqrt(S ln K L*) + S (16/3 ln K + 2)
// with K experts, T rounds and S the largest range of one round's losses
// (max - min over the experts), all measured in hindsight. A prior puts more
// weight on some experts at first; against expert i the ln K above becomes
// about ln(1 / prior_i) (tests check the uniform case).
//
// Thread safety: a plain value; not safe for concurrent use.
#pragma once
#include <cstddef>
#include <vector>

namespace sp {

class Hedge {
public:
  // K experts; `discount` in (0, 1] multiplies the past cumulative losses and
  // mixability gap before each round (1: remember everything; < 1 tracks
  // experts whose quality drifts, at the price of the guarantee above).
  explicit Hedge(size_t experts, double discount = 1.0);

  size_t size() const { return L_.size(); }
  // The weights (summing to 1) this learner plays now. `prior` (size K,
  // non-negative, not all 0) replaces the uniform prior; null: uniform.
  std::vector<double> weights(const std::vector<double> *prior = nullptr) const;
  // One round: every expert's loss (any finite numbers). Returns the loss the
  // mixture was charged, sum_i weights_i * loss_i, with the weights from
  // before the update (the same `prior`).
  double update(const std::vector<double> &loss, const std::vector<double> *prior = nullptr);

  double learning_rate() const; // ln K / Delta (infinite before any gap: follow the leader)
  const std::vector<double> &cumulative_loss() const { return L_; }
  double mixability_gap() const { return delta_; }
  double mixture_loss() const { return H_; } // sum of the charged losses
  double max_range() const { return S_; }    // largest range of a round's losses
  size_t rounds() const { return rounds_; }
  // The bound above for the rounds so far (uniform prior, no discount),
  // computed from L* = min cumulative loss, T, S and K.
  double regret_bound() const;

private:
  std::vector<double> L_; // (discounted) cumulative losses
  double delta_ = 0;      // (discounted) cumulative mixability gap
  double H_ = 0;
  double S_ = 0;
  double discount_;
  size_t rounds_ = 0;
};

} // namespace sp
