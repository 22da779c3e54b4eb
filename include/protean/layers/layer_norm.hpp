// LayerNorm: layer normalization (Ba, Kiros and Hinton, 2016) over the features of each row,
//
//   y = γ ⊙ (x − μ_row) / sqrt(σ²_row + ε) + β,   ε = 1e-5, σ² biased,
//
// the same in training and inference, because it uses no batch statistics. Parameters
// "weight" (γ, 1×I, starts at 1) and "bias" (β, 1×I, starts at 0). The output width equals I.
#pragma once

#include "protean/layers/layer.hpp"

namespace protean {

class LayerNorm final : public Layer {
 public:
  static constexpr float kEpsilon = 1e-5f;

  explicit LayerNorm(Index width);

  std::string type() const override { return "layer_norm"; }
  Index input_width() const override { return weight().cols(); }
  Index output_width() const override { return weight().cols(); }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;

  std::vector<Parameter> parameters() override;
  Index parameter_count() const override { return weight().size() + bias().size(); }
  void initialize(Rng& rng) override;
  std::unique_ptr<Layer> clone() const override { return std::make_unique<LayerNorm>(*this); }
  // Each row is normalized on its own, so rows can go through replicas apart.
  std::unique_ptr<Layer> replica() override;
  LayerConfig config() const override;

 private:
  // A replica's γ and β are those of the layer it was made from.
  Matrix& weight() { return shared_ != nullptr ? shared_->weight_ : weight_; }
  Matrix& bias() { return shared_ != nullptr ? shared_->bias_ : bias_; }
  const Matrix& weight() const { return shared_ != nullptr ? shared_->weight_ : weight_; }
  const Matrix& bias() const { return shared_ != nullptr ? shared_->bias_ : bias_; }

  LayerNorm* shared_ = nullptr;  // the layer whose parameters a replica reads, else null
  Matrix weight_;       // 1×I, γ, empty in a replica
  Matrix bias_;         // 1×I, β, empty in a replica
  Matrix dweight_;      // 1×I
  Matrix dbias_;        // 1×I
  Matrix normalized_;   // N×I
  Matrix inverse_std_;  // N×1
  Matrix y_;            // N×I
  Matrix dx_;           // N×I
};

}  // namespace protean
