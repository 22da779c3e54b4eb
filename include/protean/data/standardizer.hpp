// Standardizer: per-column z = (x - mean) / scale, fitted on the training split only.
#pragma once

#include <string>
#include <vector>

#include "protean/tensor.hpp"

namespace protean {

class Standardizer {
 public:
  Standardizer() = default;
  // Both 1×K. constant_columns() stays empty, because scale 1 alone does not mark a constant column.
  Standardizer(Matrix mean, Matrix scale);

  // Fits mean and population standard deviation (dividing by N) per column of `data` (N×K), in
  // double precision. A column whose deviation is below 1e-12 × max(1, |mean|) is constant: it
  // gets scale 1, so its standardized values are exactly 0 when all are equal, and its index is
  // listed in constant_columns(). Throws Error when N is 0.
  static Standardizer fit(ConstMatrixView data);
  // Fits a center and scale that a few extreme values do not set: the median, and 1.4826 × the
  // median absolute deviation (MAD) from it, which equals the standard deviation for normal data.
  // A column whose MAD is 0 (more than half its values equal) keeps fit()'s mean and standard
  // deviation, and constant columns are found as by fit(). Throws Error when N is 0.
  static Standardizer fit_robust(ConstMatrixView data);

  bool fitted() const { return mean_.cols() > 0; }
  Index width() const { return mean_.cols(); }
  const Matrix& mean() const { return mean_; }
  const Matrix& scale() const { return scale_; }
  const std::vector<Index>& constant_columns() const { return constant_columns_; }

  // Both work in place on N×K data and throw Error when K differs from width().
  void transform(MatrixView data) const;
  void inverse_transform(MatrixView data) const;

 private:
  Matrix mean_;
  Matrix scale_;
  std::vector<Index> constant_columns_;
};

}  // namespace protean
