// ResidualBlock: two dense layers with a skip connection, in the identity-mapping form
//
//   y[N×O] = x·P + F(x),   F(x) = act(x·W₁ + b₁)·W₂ + b₂
//
// with no activation after the sum, as in He et al. (2016), "Identity Mappings in Deep Residual
// Networks": the skip path carries the gradient to earlier layers unchanged. P is the identity
// when the input width I equals O; otherwise it is a learned I×O projection without bias.
// Parameters: "first.weight" (I×O), "first.bias", "second.weight" (O×O), "second.bias" and,
// when I ≠ O, "projection.weight" (I×O). initialize() sets W₂ to zero, so a fresh block is
// its skip path alone.
#pragma once

#include "protean/layers/dense.hpp"
#include "protean/layers/layer.hpp"

namespace protean {

class ResidualBlock final : public Layer {
 public:
  ResidualBlock(Index inputs, Index units, Activation activation);

  std::string type() const override { return "residual"; }
  Index input_width() const override { return first_.input_width(); }
  Index output_width() const override { return second_.output_width(); }
  Activation activation() const { return first_.activation(); }
  bool has_projection() const { return !projection().empty(); }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;

  std::vector<Parameter> parameters() override;
  Index parameter_count() const override;
  void initialize(Rng& rng) override;
  std::unique_ptr<Layer> clone() const override { return std::make_unique<ResidualBlock>(*this); }
  std::unique_ptr<Layer> replica() override;
  LayerConfig config() const override;
  void set_backend(Backend& backend) override;

  Dense& first() { return first_; }
  Dense& second() { return second_; }
  // A replica's projection is that of the block it was made from.
  Matrix& projection() { return shared_ != nullptr ? shared_->projection_ : projection_; }
  const Matrix& projection() const { return shared_ != nullptr ? shared_->projection_ : projection_; }

 private:
  ResidualBlock* shared_ = nullptr;  // the block whose parameters a replica reads, else null
  Dense first_;            // I → O with the block's activation
  Dense second_;           // O → O, identity
  Matrix projection_;      // I×O when I ≠ O, else empty (always empty in a replica)
  Matrix dprojection_;     // I×O
  ConstMatrixView x_;      // the last forward's input
  Matrix y_;               // N×O
  Matrix dx_;              // N×I
};

}  // namespace protean
