#include "protean/tensor.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace protean {

void MatrixView::fill(float value) const {
  for (Index r = 0; r < rows_; ++r) std::fill_n(row(r), cols_, value);
}

void MatrixView::copy_from(ConstMatrixView source) const {
  assert(source.rows() == rows_ && source.cols() == cols_);
  for (Index r = 0; r < rows_; ++r) std::memcpy(row(r), source.row(r), sizeof(float) * cols_);
}

void Matrix::AlignedDelete::operator()(float* p) const {
  ::operator delete[](p, std::align_val_t(kAlignment));
}

Matrix Matrix::zeros(Index rows, Index cols) { return filled(rows, cols, 0.0f); }

Matrix Matrix::filled(Index rows, Index cols, float value) {
  Matrix m;
  m.resize(rows, cols);
  m.fill(value);
  return m;
}

Matrix Matrix::copy_of(ConstMatrixView source) {
  Matrix m;
  m.resize(source.rows(), source.cols());
  m.view().copy_from(source);
  return m;
}

Matrix::Matrix(const Matrix& other) : Matrix(copy_of(other.view())) {}

Matrix& Matrix::operator=(const Matrix& other) {
  if (this != &other) {
    resize(other.rows_, other.cols_);
    if (size() > 0) std::memcpy(data(), other.data(), sizeof(float) * size());
  }
  return *this;
}

void Matrix::resize(Index rows, Index cols) {
  assert(rows >= 0 && cols >= 0);
  const Index needed = rows * cols;
  if (needed > capacity_) {
    // Round the allocation up to whole 64-byte lines so vector loops may read a full line.
    const Index padded = (needed + 15) / 16 * 16;
    float* p = static_cast<float*>(::operator new[](sizeof(float) * padded, std::align_val_t(kAlignment)));
    data_.reset(p);
    capacity_ = padded;
  }
  rows_ = rows;
  cols_ = cols;
}

bool bitwise_equal(ConstMatrixView a, ConstMatrixView b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index r = 0; r < a.rows(); ++r) {
    if (std::memcmp(a.row(r), b.row(r), sizeof(float) * a.cols()) != 0) return false;
  }
  return true;
}

}  // namespace protean
