// L2-regularised logistic regression fitted by Newton's method (IRLS) with a
// backtracking line search, plus a feature standardiser. Used by the hazard
// model (src/predict/hazard.cpp), one fit per horizon band and player state.
//
// Objective minimised (the intercept b is never penalised):
//
//   J(b, beta) = sum_i w_i * [ log(1 + exp(eta_i)) - y_i * eta_i ] + (l2 / 2) * |beta|^2,
//   eta_i = b + x_i . beta
//
// with y_i in [0, 1] (fractional targets allowed) and w_i >= 0 (all 1 when no
// weights are given). Note the penalty is added to the *sum* of the losses, so
// its relative strength falls as the data grows. With l2 > 0 the objective is
// strictly convex and coercive, so a finite optimum exists even for separable
// data; Newton with a line search reaches it. With l2 = 0 and separable data
// the coefficients grow each iteration and the fit stops at max_iterations
// with converged = false (still finite).
//
// Convergence: half the squared Newton decrement g' H^-1 g / 2 (the predicted
// decrease of J) below `tolerance`, or the gradient's max-norm below
// `tolerance`. All functions are reentrant.
#pragma once
#include <Eigen/Dense>
#include <atomic>
#include <cstdint>

namespace sp {

struct LogRegOptions {
  double l2 = 1.0;
  int max_iterations = 30;
  double tolerance = 1e-9;
  // When set and true, the fit stops before its next Newton step (and inside
  // the line search) with cancelled = true: a caller that must stop soon
  // (a player being destroyed) waits for at most one step.
  const std::atomic<bool> *cancel = nullptr;
};

struct LogRegResult {
  double intercept = 0;
  Eigen::VectorXd coef;       // one per column of X
  int iterations = 0;         // Newton steps taken
  bool converged = false;
  bool cancelled = false;     // stopped by LogRegOptions::cancel
  double objective = 0;       // J at the returned coefficients
  double gradient_norm = 0;   // max |dJ/dtheta| at the returned coefficients
};

// Fits on X (n x p), y (n), optional weights w (size 0 = all ones). `start`
// (optional) warm-starts from earlier coefficients of the same size.
LogRegResult fit_logistic(const Eigen::MatrixXd &X, const Eigen::VectorXd &y, const Eigen::VectorXd &w,
                          const LogRegOptions &opt, const LogRegResult *start = nullptr);

// J(b, beta) and its gradient (intercept first), for tests and diagnostics.
double logistic_objective(const Eigen::MatrixXd &X, const Eigen::VectorXd &y, const Eigen::VectorXd &w, double l2,
                          double intercept, const Eigen::VectorXd &coef, Eigen::VectorXd *gradient = nullptr);

// Numerically safe helpers.
double sigmoid(double z);
double log1p_exp(double z);  // log(1 + e^z)

// Column standardiser: x' = (x - mean) / scale, scale = weighted standard
// deviation (1 for constant columns, so they stay 0 after centring).
struct Standardizer {
  Eigen::VectorXd mean, scale;
  static Standardizer fit(const Eigen::MatrixXd &X, const Eigen::VectorXd &w = Eigen::VectorXd());
  void apply(Eigen::MatrixXd &X) const;
  // Coefficients fitted on standardised columns -> the same model on raw columns.
  void unscale(double intercept_std, const Eigen::VectorXd &coef_std, double &intercept_raw,
               Eigen::VectorXd &coef_raw) const;
};

} // namespace sp
