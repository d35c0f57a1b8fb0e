#include "predict/logreg.h"

#include <algorithm>
#include <cmath>

namespace sp {

double sigmoid(double z) {
  if (z >= 0) {
    double e = std::exp(-z);
    return 1.0 / (1.0 + e);
  }
  double e = std::exp(z);
  return e / (1.0 + e);
}

double log1p_exp(double z) {
  if (z > 35) return z;
  if (z < -35) return std::exp(z);
  return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

namespace {
double weight(const Eigen::VectorXd &w, Eigen::Index i) { return w.size() ? w[i] : 1.0; }
} // namespace

double logistic_objective(const Eigen::MatrixXd &X, const Eigen::VectorXd &y, const Eigen::VectorXd &w, double l2,
                          double intercept, const Eigen::VectorXd &coef, Eigen::VectorXd *gradient) {
  const Eigen::Index n = X.rows(), p = X.cols();
  Eigen::VectorXd eta = X * coef;
  eta.array() += intercept;
  double J = 0.5 * l2 * coef.squaredNorm();
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double wi = weight(w, i);
    J += wi * (log1p_exp(eta[i]) - y[i] * eta[i]);
    r[i] = wi * (sigmoid(eta[i]) - y[i]);
  }
  if (gradient) {
    gradient->resize(p + 1);
    (*gradient)[0] = r.sum();
    gradient->tail(p) = X.transpose() * r + l2 * coef;
  }
  return J;
}

LogRegResult fit_logistic(const Eigen::MatrixXd &X, const Eigen::VectorXd &y, const Eigen::VectorXd &w,
                          const LogRegOptions &opt, const LogRegResult *start) {
  const Eigen::Index n = X.rows(), p = X.cols();
  const double l2 = std::max(0.0, opt.l2);
  LogRegResult res;
  res.coef = Eigen::VectorXd::Zero(p);
  if (start && start->coef.size() == p && std::isfinite(start->intercept) && start->coef.allFinite()) {
    res.intercept = start->intercept;
    res.coef = start->coef;
  } else {
    // Start from the weighted base rate (the intercept-only optimum).
    double sw = 0, sy = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      sw += weight(w, i);
      sy += weight(w, i) * y[i];
    }
    double r = sw > 0 ? std::clamp(sy / sw, 1e-6, 1 - 1e-6) : 0.5;
    res.intercept = std::log(r / (1 - r));
  }
  Eigen::VectorXd g;
  double J = logistic_objective(X, y, w, l2, res.intercept, res.coef, &g);
  // Design with a leading column of ones (intercept).
  Eigen::MatrixXd H(p + 1, p + 1);
  Eigen::VectorXd s(n);
  Eigen::MatrixXd Xs(n, p);  // sqrt(w_i p_i (1-p_i)) * x_i
  auto stop = [&] { return opt.cancel && opt.cancel->load(std::memory_order_relaxed); };
  for (int it = 0; it < std::max(0, opt.max_iterations); ++it) {
    if (stop()) {
      res.cancelled = true;
      break;
    }
    if (g.cwiseAbs().maxCoeff() < opt.tolerance) {
      res.converged = true;
      break;
    }
    Eigen::VectorXd eta = X * res.coef;
    eta.array() += res.intercept;
    for (Eigen::Index i = 0; i < n; ++i) {
      double pi = sigmoid(eta[i]);
      s[i] = std::sqrt(std::max(0.0, weight(w, i) * pi * (1 - pi)));
    }
    Xs = s.asDiagonal() * X;
    H.setZero();
    H(0, 0) = s.squaredNorm();
    H.block(1, 0, p, 1) = Xs.transpose() * s;
    H.block(1, 1, p, p).selfadjointView<Eigen::Lower>().rankUpdate(Xs.transpose());
    H.block(1, 1, p, p) = H.block(1, 1, p, p).selfadjointView<Eigen::Lower>();
    H.block(0, 1, 1, p) = H.block(1, 0, p, 1).transpose();
    for (Eigen::Index j = 1; j <= p; ++j) H(j, j) += l2;
    // A tiny ridge keeps the solve defined when a column is constant and l2 = 0.
    for (Eigen::Index j = 0; j <= p; ++j) H(j, j) += 1e-10 * (1.0 + H(j, j));
    Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
    Eigen::VectorXd step = -ldlt.solve(g);
    if (!step.allFinite()) break;
    double decrement = -g.dot(step);  // g' H^-1 g
    res.iterations = it + 1;
    if (decrement * 0.5 < opt.tolerance) {
      res.converged = true;
      break;
    }
    // Backtracking (Armijo) line search.
    double t = 1.0;
    bool moved = false;
    for (int ls = 0; ls < 40 && !stop(); ++ls) {
      double b2 = res.intercept + t * step[0];
      Eigen::VectorXd c2 = res.coef + t * step.tail(p);
      Eigen::VectorXd g2;
      double J2 = logistic_objective(X, y, w, l2, b2, c2, &g2);
      if (std::isfinite(J2) && J2 <= J - 1e-4 * t * decrement) {
        res.intercept = b2;
        res.coef = std::move(c2);
        J = J2;
        g = std::move(g2);
        moved = true;
        break;
      }
      t *= 0.5;
    }
    if (!moved && stop()) {
      res.cancelled = true;
      break;
    }
    if (!moved) {  // no decrease possible at machine precision: at the optimum
      res.converged = g.cwiseAbs().maxCoeff() < std::sqrt(opt.tolerance) * (1.0 + std::abs(J));
      break;
    }
  }
  if (!res.converged && g.cwiseAbs().maxCoeff() < opt.tolerance) res.converged = true;
  res.objective = J;
  res.gradient_norm = g.cwiseAbs().maxCoeff();
  return res;
}

Standardizer Standardizer::fit(const Eigen::MatrixXd &X, const Eigen::VectorXd &w) {
  Standardizer s;
  const Eigen::Index n = X.rows(), p = X.cols();
  s.mean = Eigen::VectorXd::Zero(p);
  s.scale = Eigen::VectorXd::Ones(p);
  double sw = 0;
  for (Eigen::Index i = 0; i < n; ++i) sw += weight(w, i);
  if (sw <= 0) return s;
  for (Eigen::Index j = 0; j < p; ++j) {
    double m = 0;
    for (Eigen::Index i = 0; i < n; ++i) m += weight(w, i) * X(i, j);
    m /= sw;
    double v = 0;
    for (Eigen::Index i = 0; i < n; ++i) v += weight(w, i) * (X(i, j) - m) * (X(i, j) - m);
    v /= sw;
    s.mean[j] = m;
    double sd = std::sqrt(v);
    s.scale[j] = (sd > 1e-9 * (1.0 + std::abs(m)) && std::isfinite(sd)) ? sd : 1.0;
  }
  return s;
}

void Standardizer::apply(Eigen::MatrixXd &X) const {
  X.rowwise() -= mean.transpose();
  X.array().rowwise() /= scale.transpose().array();
}

void Standardizer::unscale(double intercept_std, const Eigen::VectorXd &coef_std, double &intercept_raw,
                           Eigen::VectorXd &coef_raw) const {
  coef_raw = coef_std.array() / scale.array();
  intercept_raw = intercept_std - coef_raw.dot(mean);
}

} // namespace sp
