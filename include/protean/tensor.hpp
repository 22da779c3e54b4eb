// Float32 matrices, row-major, with non-owning views.
//
// Shape legend used in every comment about a tensor in Protean:
//   N  rows of a batch (samples)      I  inputs of a layer (features)
//   O  outputs of a layer (units)     C  classes
// A batch of inputs is N×I, a layer's weights are I×O, its bias 1×O, so a dense layer
// computes Y[N×O] = act(X[N×I] · W[I×O] + b).
//
// Storage is 64-byte aligned so SIMD kernels may use aligned loads on row 0. Views carry a row
// stride, so a block of rows of a larger matrix is a view without a copy.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace protean {

using Index = std::int64_t;

class ConstMatrixView {
 public:
  ConstMatrixView() = default;
  ConstMatrixView(const float* data, Index rows, Index cols, Index stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {}
  ConstMatrixView(const float* data, Index rows, Index cols) : ConstMatrixView(data, rows, cols, cols) {}

  const float* data() const { return data_; }
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Index stride() const { return stride_; }
  Index size() const { return rows_ * cols_; }
  bool contiguous() const { return stride_ == cols_ || rows_ <= 1; }

  const float* row(Index r) const {
    assert(r >= 0 && r < rows_);
    return data_ + r * stride_;
  }
  float operator()(Index r, Index c) const {
    assert(r >= 0 && r < rows_ && c >= 0 && c < cols_);
    return data_[r * stride_ + c];
  }
  // Rows [begin, begin + count) as a view.
  ConstMatrixView middle_rows(Index begin, Index count) const {
    assert(begin >= 0 && count >= 0 && begin + count <= rows_);
    return {data_ + begin * stride_, count, cols_, stride_};
  }

 private:
  const float* data_ = nullptr;
  Index rows_ = 0;
  Index cols_ = 0;
  Index stride_ = 0;
};

class MatrixView {
 public:
  MatrixView() = default;
  MatrixView(float* data, Index rows, Index cols, Index stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {}
  MatrixView(float* data, Index rows, Index cols) : MatrixView(data, rows, cols, cols) {}

  float* data() const { return data_; }
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Index stride() const { return stride_; }
  Index size() const { return rows_ * cols_; }
  bool contiguous() const { return stride_ == cols_ || rows_ <= 1; }

  float* row(Index r) const {
    assert(r >= 0 && r < rows_);
    return data_ + r * stride_;
  }
  float& operator()(Index r, Index c) const {
    assert(r >= 0 && r < rows_ && c >= 0 && c < cols_);
    return data_[r * stride_ + c];
  }
  MatrixView middle_rows(Index begin, Index count) const {
    assert(begin >= 0 && count >= 0 && begin + count <= rows_);
    return {data_ + begin * stride_, count, cols_, stride_};
  }
  operator ConstMatrixView() const { return {data_, rows_, cols_, stride_}; }

  void fill(float value) const;
  void copy_from(ConstMatrixView source) const;

 private:
  float* data_ = nullptr;
  Index rows_ = 0;
  Index cols_ = 0;
  Index stride_ = 0;
};

// An owning, contiguous (stride == cols) matrix. Copies are deep; moves are cheap.
class Matrix {
 public:
  static constexpr std::size_t kAlignment = 64;

  Matrix() = default;
  static Matrix zeros(Index rows, Index cols);
  static Matrix filled(Index rows, Index cols, float value);
  static Matrix copy_of(ConstMatrixView source);

  Matrix(const Matrix& other);
  Matrix& operator=(const Matrix& other);
  Matrix(Matrix&&) noexcept = default;
  Matrix& operator=(Matrix&&) noexcept = default;

  // Sets the shape. Keeps the allocation when rows × cols fits in it, so a workspace that is
  // resized to the same or a smaller batch allocates nothing. Contents are unspecified after.
  void resize(Index rows, Index cols);

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Index size() const { return rows_ * cols_; }
  bool empty() const { return size() == 0; }

  float* row(Index r) { return data() + r * cols_; }
  const float* row(Index r) const { return data() + r * cols_; }
  float& operator()(Index r, Index c) {
    assert(r >= 0 && r < rows_ && c >= 0 && c < cols_);
    return data_[r * cols_ + c];
  }
  float operator()(Index r, Index c) const {
    assert(r >= 0 && r < rows_ && c >= 0 && c < cols_);
    return data_[r * cols_ + c];
  }

  MatrixView view() { return {data(), rows_, cols_, cols_}; }
  ConstMatrixView view() const { return {data(), rows_, cols_, cols_}; }
  operator MatrixView() { return view(); }
  operator ConstMatrixView() const { return view(); }
  MatrixView middle_rows(Index begin, Index count) { return view().middle_rows(begin, count); }
  ConstMatrixView middle_rows(Index begin, Index count) const { return view().middle_rows(begin, count); }

  void fill(float value) { view().fill(value); }

 private:
  struct AlignedDelete {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], AlignedDelete> data_;
  Index rows_ = 0;
  Index cols_ = 0;
  Index capacity_ = 0;
};

// True when both have the same shape and every element compares equal bit for bit.
bool bitwise_equal(ConstMatrixView a, ConstMatrixView b);

}  // namespace protean
