// L-BFGS: limited-memory BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed., 2006,
// algorithm 7.4) for full-batch minimization of a smooth function of few enough parameters that
// every iteration may look at all the data.
//
//   Lbfgs lbfgs;
//   Eigen::VectorXd x = start;
//   for (int i = 0; i < 100 && lbfgs.iterate(f, x) == LbfgsStatus::running; ++i) {}
// f(x, gradient) returns the value at x and writes the gradient. The search direction comes from
// the two-loop recursion over the last `history` pairs s = Δx, y = Δgradient. The step length
// comes from a line search that enforces the strong Wolfe conditions
//   f(x + αd) ≤ f(x) + c1·α·∇f·d   and   |∇f(x + αd)·d| ≤ c2·|∇f·d|
// by bracketing and zooming with safeguarded cubic interpolation (Nocedal and Wright,
// algorithms 3.5 and 3.6). Arithmetic is in double precision.
//
// Unlike the step-wise Optimizers it needs the objective itself, not one gradient at a time;
// train_full_batch() in train/full_batch.hpp builds that objective from a Network and a Loss.
#pragma once

#include <Eigen/Core>
#include <deque>
#include <functional>
#include <vector>

#include "protean/tensor.hpp"

namespace protean {

struct LbfgsOptions {
  int history = 10;                   // (s, y) pairs kept for the inverse-Hessian estimate
  double gradient_tolerance = 1e-12;  // converged when max |∂f/∂xᵢ| ≤ this × max(1, |f|)
  double c1 = 1e-4;                   // sufficient-decrease constant of the Wolfe conditions
  double c2 = 0.9;                    // curvature constant of the Wolfe conditions
  int max_evaluations = 30;           // objective evaluations per line search
};

enum class LbfgsStatus {
  running,      // the step decreased f; another iteration may decrease it further
  converged,    // the gradient is below the tolerance
  no_progress,  // the line search found no step that decreases f (the limit of the arithmetic)
};

class Lbfgs {
 public:
  using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& gradient)>;

  explicit Lbfgs(LbfgsOptions options = {}) : options_(options) {}
  std::string name() const { return "lbfgs"; }

  // Takes one iteration from x, updating x in place. The first call (and the first after
  // set_state or reset) also evaluates f at x. x keeps its value unless the status is running.
  LbfgsStatus iterate(const Objective& objective, Eigen::VectorXd& x);

  double value() const { return value_; }           // f at the current x
  const Eigen::VectorXd& gradient() const { return gradient_; }
  long long evaluations() const { return evaluations_; }  // objective calls so far
  void reset();

  // The (s, y) history for checkpoints: one 2×D matrix per vector, each double as a float
  // and the float of its remainder (about 48 significant bits).
  std::vector<Matrix> state() const;
  void set_state(const std::vector<Matrix>& state);

 private:
  Eigen::VectorXd direction() const;
  // Returns the step length α along `d`, or 0 when no step satisfies the Wolfe conditions or
  // decreases f. On success x_next, value_next and gradient_next hold the accepted point.
  double line_search(const Objective& objective, const Eigen::VectorXd& x, const Eigen::VectorXd& d, double first_step);

  LbfgsOptions options_;
  std::deque<Eigen::VectorXd> s_, y_;
  bool evaluated_ = false;
  double value_ = 0.0;
  Eigen::VectorXd gradient_;
  long long evaluations_ = 0;
  Eigen::VectorXd x_next_, gradient_next_;
  double value_next_ = 0.0;
};

}  // namespace protean
