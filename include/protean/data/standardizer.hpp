// Standardizer: per-column z = (x - mean) / scale, fitted on the training split only.
#pragma once

#include <string>
#include <vector>

#include "protean/tensor.hpp"

namespace protean {

class Standardizer {
 public:
  Standardizer() = default;
  Standardizer(Matrix mean, Matrix scale);  // both 1×K

  // Fits mean and standard deviation per column of `data` (N×K). A constant column gets
  // scale 1, so its standardized value is exactly 0, and its index is listed in
  // constant_columns().
  static Standardizer fit(ConstMatrixView data);

  bool fitted() const { return mean_.cols() > 0; }
  Index width() const { return mean_.cols(); }
  const Matrix& mean() const { return mean_; }
  const Matrix& scale() const { return scale_; }
  const std::vector<Index>& constant_columns() const { return constant_columns_; }

  void transform(MatrixView data) const;          // in place, N×K
  void inverse_transform(MatrixView data) const;  // in place, N×K

 private:
  Matrix mean_;
  Matrix scale_;
  std::vector<Index> constant_columns_;
};

}  // namespace protean
