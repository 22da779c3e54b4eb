#include "protean/optimizers/lbfgs.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace protean {

namespace {

// One trial point of the line search: φ(α) = f(x + αd) and its slope φ'(α) = ∇f(x + αd)·d.
struct Trial {
  double step = 0.0;
  double value = 0.0;
  double slope = 0.0;
};

// Returns the minimizer of the cubic through a and b (values and slopes), kept at least 10% of
// the interval away from either end; bisects when the cubic has no usable minimizer.
double interpolate(const Trial& a, const Trial& b) {
  const double low = std::min(a.step, b.step);
  const double high = std::max(a.step, b.step);
  const double margin = 0.1 * (high - low);
  const double d1 = a.slope + b.slope - 3.0 * (a.value - b.value) / (a.step - b.step);
  const double discriminant = d1 * d1 - a.slope * b.slope;
  double step = 0.5 * (low + high);
  if (discriminant >= 0.0) {
    const double d2 = std::copysign(std::sqrt(discriminant), b.step - a.step);
    const double denominator = b.slope - a.slope + 2.0 * d2;
    if (denominator != 0.0) {
      const double cubic = b.step - (b.step - a.step) * (b.slope + d2 - d1) / denominator;
      if (std::isfinite(cubic)) step = cubic;
    }
  }
  return std::clamp(step, low + margin, high - margin);
}

Eigen::VectorXd row_to_vector(const Matrix& m) {
  Eigen::VectorXd v(m.cols());
  for (Index i = 0; i < m.cols(); ++i) v(i) = static_cast<double>(m(0, i)) + static_cast<double>(m(1, i));
  return v;
}

Matrix vector_to_rows(const Eigen::VectorXd& v) {
  Matrix m = Matrix::zeros(2, static_cast<Index>(v.size()));
  for (Index i = 0; i < m.cols(); ++i) {
    const auto high = static_cast<float>(v(i));
    m(0, i) = high;
    m(1, i) = static_cast<float>(v(i) - static_cast<double>(high));
  }
  return m;
}

}  // namespace

void Lbfgs::reset() {
  s_.clear();
  y_.clear();
  evaluated_ = false;
}

Eigen::VectorXd Lbfgs::direction() const {
  // Two-loop recursion: d = −H·g with H the L-BFGS inverse-Hessian estimate, scaled initially
  // by γ = sᵀy / yᵀy of the newest pair.
  Eigen::VectorXd q = gradient_;
  const std::size_t count = s_.size();
  std::vector<double> alpha(count), rho(count);
  for (std::size_t k = count; k-- > 0;) {
    rho[k] = 1.0 / y_[k].dot(s_[k]);
    alpha[k] = rho[k] * s_[k].dot(q);
    q -= alpha[k] * y_[k];
  }
  if (count > 0) q *= s_.back().dot(y_.back()) / y_.back().squaredNorm();
  for (std::size_t k = 0; k < count; ++k) {
    const double beta = rho[k] * y_[k].dot(q);
    q += (alpha[k] - beta) * s_[k];
  }
  return -q;
}

double Lbfgs::line_search(const Objective& objective, const Eigen::VectorXd& x, const Eigen::VectorXd& d,
                          double first_step) {
  const Trial start{0.0, value_, gradient_.dot(d)};
  Eigen::VectorXd trial_gradient(x.size());
  int evaluations = 0;
  auto evaluate = [&](double step) {
    x_next_ = x + step * d;
    const double value = objective(x_next_, trial_gradient);
    ++evaluations;
    ++evaluations_;
    return Trial{step, value, trial_gradient.dot(d)};
  };
  auto sufficient = [&](const Trial& t) { return t.value <= start.value + options_.c1 * t.step * start.slope; };
  auto curvature = [&](const Trial& t) { return std::abs(t.slope) <= -options_.c2 * start.slope; };
  auto accept = [&](const Trial& t) {
    value_next_ = t.value;
    gradient_next_ = trial_gradient;
    return t.step;
  };

  // Zoom between low (sufficient decrease holds, lowest value so far) and high.
  auto zoom = [&](Trial low, Trial high) -> double {
    while (evaluations < options_.max_evaluations) {
      if (std::abs(high.step - low.step) <= std::numeric_limits<double>::epsilon() * std::max(1.0, low.step)) break;
      const Trial t = evaluate(interpolate(low, high));
      if (!std::isfinite(t.value) || !sufficient(t) || t.value >= low.value) {
        high = t;
        continue;
      }
      if (curvature(t)) return accept(t);
      if (t.slope * (high.step - low.step) >= 0.0) high = low;
      low = t;
    }
    // Out of evaluations: take the best point found if it decreased f, re-evaluated so that
    // the stored gradient belongs to it.
    if (low.step > 0.0 && low.value < start.value) return accept(evaluate(low.step));
    return 0.0;
  };

  Trial previous = start;
  double step = first_step;
  while (evaluations < options_.max_evaluations) {
    const Trial t = evaluate(step);
    if (!std::isfinite(t.value) || !sufficient(t) || (previous.step > 0.0 && t.value >= previous.value)) {
      return zoom(previous, t);
    }
    if (curvature(t)) return accept(t);
    if (t.slope >= 0.0) return zoom(t, previous);
    previous = t;
    step *= 2.0;
  }
  if (previous.step > 0.0) return accept(evaluate(previous.step));
  return 0.0;
}

LbfgsStatus Lbfgs::iterate(const Objective& objective, Eigen::VectorXd& x) {
  if (!evaluated_) {
    gradient_.resize(x.size());
    value_ = objective(x, gradient_);
    ++evaluations_;
    evaluated_ = true;
  }
  if (!std::isfinite(value_)) return LbfgsStatus::no_progress;
  if (gradient_.lpNorm<Eigen::Infinity>() <= options_.gradient_tolerance * std::max(1.0, std::abs(value_))) {
    return LbfgsStatus::converged;
  }

  Eigen::VectorXd d = direction();
  double first_step = 1.0;
  if (s_.empty() || !(gradient_.dot(d) < 0.0)) {
    // No curvature information yet, or a direction that does not descend: steepest descent
    // with a first step of unit length in x.
    s_.clear();
    y_.clear();
    d = -gradient_;
    first_step = 1.0 / std::max(1e-300, gradient_.norm());
  }

  double step = line_search(objective, x, d, first_step);
  if (step == 0.0 && !s_.empty()) {
    // The quasi-Newton direction failed; retry once along the steepest descent direction.
    s_.clear();
    y_.clear();
    d = -gradient_;
    step = line_search(objective, x, d, 1.0 / std::max(1e-300, gradient_.norm()));
  }
  if (step == 0.0) return LbfgsStatus::no_progress;

  Eigen::VectorXd s = x_next_ - x;
  Eigen::VectorXd y = gradient_next_ - gradient_;
  x = x_next_;
  value_ = value_next_;
  gradient_ = gradient_next_;
  // Keep the pair only when its curvature sᵀy is positive, so that H stays positive definite.
  if (s.dot(y) > std::numeric_limits<double>::epsilon() * y.squaredNorm()) {
    s_.push_back(std::move(s));
    y_.push_back(std::move(y));
    if (static_cast<int>(s_.size()) > options_.history) {
      s_.pop_front();
      y_.pop_front();
    }
  }
  return LbfgsStatus::running;
}

std::vector<Matrix> Lbfgs::state() const {
  std::vector<Matrix> state;
  for (std::size_t k = 0; k < s_.size(); ++k) {
    state.push_back(vector_to_rows(s_[k]));
    state.push_back(vector_to_rows(y_[k]));
  }
  return state;
}

void Lbfgs::set_state(const std::vector<Matrix>& state) {
  assert(state.size() % 2 == 0);
  reset();
  for (std::size_t k = 0; k + 1 < state.size(); k += 2) {
    s_.push_back(row_to_vector(state[k]));
    y_.push_back(row_to_vector(state[k + 1]));
  }
}

}  // namespace protean
