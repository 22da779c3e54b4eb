#include "protean/data/standardizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>
#include <vector>

#include "protean/error.hpp"

namespace protean {

namespace {

// A column counts as constant when its standard deviation is below this fraction of
// max(1, |mean|), which also catches float rounding noise in a column of equal values.
constexpr double kRelativeConstantTolerance = 1e-12;

void check_width(const char* operation, Index expected, Index found) {
  if (expected != found) {
    throw Error(fmt::format("cannot {} data with {} columns: the standardizer was fitted on {} columns", operation,
                            found, expected),
                "use data with the same input columns as the training data");
  }
}

}  // namespace

Standardizer::Standardizer(Matrix mean, Matrix scale) : mean_(std::move(mean)), scale_(std::move(scale)) {
  assert(mean_.rows() == 1);
  assert(scale_.rows() == 1);
  assert(mean_.cols() == scale_.cols());
}

Standardizer Standardizer::fit(ConstMatrixView data) {
  const Index rows = data.rows();
  const Index cols = data.cols();
  if (rows == 0) {
    throw Error("cannot fit a standardizer on 0 rows", "give training data with at least one row");
  }

  // Two passes in double precision: the mean first, then the squared deviations from it, which
  // stays accurate where the single-pass sum-of-squares formula cancels.
  std::vector<double> sum(static_cast<std::size_t>(cols), 0.0);
  for (Index r = 0; r < rows; ++r) {
    const float* row = data.row(r);
    for (Index c = 0; c < cols; ++c) sum[static_cast<std::size_t>(c)] += row[c];
  }
  std::vector<double> mean(static_cast<std::size_t>(cols));
  for (Index c = 0; c < cols; ++c)
    mean[static_cast<std::size_t>(c)] = sum[static_cast<std::size_t>(c)] / static_cast<double>(rows);

  std::vector<double> squares(static_cast<std::size_t>(cols), 0.0);
  for (Index r = 0; r < rows; ++r) {
    const float* row = data.row(r);
    for (Index c = 0; c < cols; ++c) {
      const double deviation = row[c] - mean[static_cast<std::size_t>(c)];
      squares[static_cast<std::size_t>(c)] += deviation * deviation;
    }
  }

  Standardizer result(Matrix::zeros(1, cols), Matrix::filled(1, cols, 1.0f));
  for (Index c = 0; c < cols; ++c) {
    const auto k = static_cast<std::size_t>(c);
    // Population standard deviation (divides by N, not N - 1).
    const double deviation = std::sqrt(squares[k] / static_cast<double>(rows));
    result.mean_(0, c) = static_cast<float>(mean[k]);
    const double tolerance = kRelativeConstantTolerance * std::max(1.0, std::fabs(mean[k]));
    // A standard deviation that rounds to 0 as a float would divide by zero, so it is constant too.
    if (deviation == 0.0 || deviation < tolerance || static_cast<float>(deviation) == 0.0f) {
      result.constant_columns_.push_back(c);
    } else {
      result.scale_(0, c) = static_cast<float>(deviation);
    }
  }
  return result;
}

namespace {

// Returns the median of `values` and reorders them. For an even count the median is the mean of
// the two middle values.
double median_of(std::vector<double>& values) {
  assert(!values.empty());
  const std::size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return 0.5 * (lower + upper);
}

// 1 / Φ⁻¹(3/4): the factor that turns the MAD of normally distributed data into its standard
// deviation.
constexpr double kMadToStandardDeviation = 1.4826;

}  // namespace

Standardizer Standardizer::fit_robust(ConstMatrixView data) {
  Standardizer result = fit(data);
  std::vector<double> values(static_cast<std::size_t>(data.rows()));
  for (Index c = 0; c < data.cols(); ++c) {
    if (std::find(result.constant_columns_.begin(), result.constant_columns_.end(), c) != result.constant_columns_.end()) {
      continue;
    }
    for (Index r = 0; r < data.rows(); ++r) values[static_cast<std::size_t>(r)] = data(r, c);
    const double median = median_of(values);
    for (double& value : values) value = std::fabs(value - median);
    const double scale = kMadToStandardDeviation * median_of(values);
    const double tolerance = kRelativeConstantTolerance * std::max(1.0, std::fabs(median));
    if (scale < tolerance || static_cast<float>(scale) == 0.0f) continue;
    result.mean_(0, c) = static_cast<float>(median);
    result.scale_(0, c) = static_cast<float>(scale);
  }
  return result;
}

void Standardizer::transform(MatrixView data) const {
  check_width("standardize", width(), data.cols());
  const float* mean = mean_.data();
  const float* scale = scale_.data();
  for (Index r = 0; r < data.rows(); ++r) {
    float* row = data.row(r);
    for (Index c = 0; c < data.cols(); ++c) row[c] = (row[c] - mean[c]) / scale[c];
  }
}

void Standardizer::inverse_transform(MatrixView data) const {
  check_width("undo standardization of", width(), data.cols());
  const float* mean = mean_.data();
  const float* scale = scale_.data();
  for (Index r = 0; r < data.rows(); ++r) {
    float* row = data.row(r);
    for (Index c = 0; c < data.cols(); ++c) row[c] = row[c] * scale[c] + mean[c];
  }
}

}  // namespace protean
