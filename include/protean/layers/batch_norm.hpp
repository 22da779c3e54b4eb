// BatchNorm: batch normalization (Ioffe and Szegedy, 2015) over the rows of a batch, per feature.
//
//   training:   y = γ ⊙ (x − μ_B) / sqrt(σ²_B + ε) + β, with μ_B and σ²_B (biased) the column
//               mean and variance of this batch; then
//               running_mean ← (1 − m)·running_mean + m·μ_B
//               running_var  ← (1 − m)·running_var  + m·σ²_B·N/(N − 1)   (unbiased)
//   inference:  y = γ ⊙ (x − running_mean) / sqrt(running_var + ε) + β
//
// with momentum m (0.1 by default, the convention of PyTorch's BatchNorm1d) and ε = 1e-5.
// A training batch of one row normalizes every feature to β and leaves running_var unchanged.
// Parameters "weight" (γ, 1×I, starts at 1) and "bias" (β, 1×I, starts at 0); buffers
// "running_mean" (starts at 0) and "running_var" (starts at 1). The output width equals I.
#pragma once

#include <vector>

#include "protean/layers/layer.hpp"

namespace protean {

class BatchNorm final : public Layer {
 public:
  static constexpr float kDefaultMomentum = 0.1f;
  static constexpr float kEpsilon = 1e-5f;

  explicit BatchNorm(Index width, float momentum = kDefaultMomentum);

  std::string type() const override { return "batch_norm"; }
  Index input_width() const override { return weight_.cols(); }
  Index output_width() const override { return weight_.cols(); }
  float momentum() const { return momentum_; }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;

  std::vector<Parameter> parameters() override;
  Index parameter_count() const override { return weight_.size() + bias_.size(); }
  std::vector<Buffer> buffers() override;
  void initialize(Rng& rng) override;
  std::unique_ptr<Layer> clone() const override { return std::make_unique<BatchNorm>(*this); }
  LayerConfig config() const override;

  Matrix& running_mean() { return running_mean_; }
  Matrix& running_var() { return running_var_; }

 private:
  float momentum_;
  Mode mode_ = Mode::inference;  // of the last forward, which backward differentiates
  Matrix weight_;        // 1×I, γ
  Matrix bias_;          // 1×I, β
  Matrix dweight_;       // 1×I
  Matrix dbias_;         // 1×I
  Matrix running_mean_;  // 1×I
  Matrix running_var_;   // 1×I
  Matrix normalized_;    // N×I, (x − mean) / sqrt(var + ε) of the last forward
  Matrix inverse_std_;   // 1×I, 1 / sqrt(var + ε) of the last forward
  Matrix y_;             // N×I
  Matrix dx_;            // N×I
  // Batch mean and variance of the last training forward, in double. Members, so that a
  // training step allocates nothing.
  std::vector<double> batch_mean_;
  std::vector<double> batch_variance_;
};

}  // namespace protean
