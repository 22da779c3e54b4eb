// Central finite differences, the independent reference that every analytic gradient in
// Protean is checked against.
#pragma once

#include <cmath>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "protean/tensor.hpp"

namespace protean::testing {

// Compares `analytic` (the gradient of `loss` with respect to `values`) with
// (loss(v + h) − loss(v − h)) / 2h for every element of `values`. `loss` must read `values`.
// A difference passes when |a − n| ≤ tolerance · max(1, |a|, |n|).
inline void expect_gradient_matches(const std::string& what, MatrixView values, ConstMatrixView analytic,
                                    const std::function<double()>& loss, double step = 1e-2,
                                    double tolerance = 2e-3) {
  ASSERT_EQ(values.rows(), analytic.rows()) << what;
  ASSERT_EQ(values.cols(), analytic.cols()) << what;
  for (Index r = 0; r < values.rows(); ++r) {
    for (Index c = 0; c < values.cols(); ++c) {
      const float saved = values(r, c);
      values(r, c) = saved + static_cast<float>(step);
      const double up = loss();
      values(r, c) = saved - static_cast<float>(step);
      const double down = loss();
      values(r, c) = saved;
      const double numeric = (up - down) / (2.0 * step);
      const double exact = analytic(r, c);
      const double scale = std::max({1.0, std::abs(exact), std::abs(numeric)});
      EXPECT_LE(std::abs(exact - numeric), tolerance * scale)
          << what << " at (" << r << ", " << c << "): analytic " << exact << ", numeric " << numeric;
    }
  }
}

}  // namespace protean::testing
