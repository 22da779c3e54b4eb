// FourierFeatures: a fixed input encoding that lets a small network fit functions of 1 to 3
// inputs with fine detail (Tancik et al., 2020, "Fourier Features Let Networks Learn High
// Frequency Functions in Low Dimensional Domains").
//
//   z[N×IK] = x[N×I] · B[I×IK],   y[N×2IK] = [sin(2π·z), cos(2π·z)]
//
// B contains frequencies in cycles per unit of input (after standardization, when fit() trains):
//   bands     B[i, i·K + k] = 2^k / 8 for k < K, zero elsewhere: each input on its own, at K
//             octaves from 1/8 to 2^(K−4), as in the positional encoding of NeRF (Mildenhall et
//             al., 2020). The lowest band repeats only every 8 units, so standardized inputs
//             within ±4 standard deviations never map to the same features.
//   gaussian  every entry drawn from N(0, σ²) in initialize(): random directions that mix inputs
// The layer has no trainable parameters. B is its one buffer, "frequencies", saved with the model.
#pragma once

#include "protean/layers/layer.hpp"

namespace protean {

class FourierFeatures final : public Layer {
 public:
  static constexpr float kLowestBand = 0.125f;  // cycles per unit of input
  // Bands beyond 2^20 cycles per unit would exceed float32 precision for inputs of order 1.
  static constexpr Index kMaxBands = 24;

  FourierFeatures(Index inputs, Index frequencies, FourierScheme scheme = FourierScheme::bands, float scale = 1.0f);

  std::string type() const override { return "fourier_features"; }
  Index input_width() const override { return frequencies_.rows(); }
  Index output_width() const override { return 2 * frequencies_.cols(); }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;

  std::vector<Parameter> parameters() override { return {}; }
  Index parameter_count() const override { return 0; }
  std::vector<Buffer> buffers() override { return {{"frequencies", frequencies_.view()}}; }
  void initialize(Rng& rng) override;
  std::unique_ptr<Layer> clone() const override { return std::make_unique<FourierFeatures>(*this); }
  // A copy: the layer has no parameters, and training leaves its frequencies as they are.
  std::unique_ptr<Layer> replica() override { return clone(); }
  LayerConfig config() const override;

  Matrix& frequencies() { return frequencies_; }

 private:
  Index count_;  // K, frequencies per input
  FourierScheme scheme_;
  float scale_;  // σ for gaussian
  Matrix frequencies_;  // I×IK, B
  Matrix z_;            // N×IK
  Matrix y_;            // N×2IK
  Matrix dz_;           // N×IK
  Matrix dx_;           // N×I
};

}  // namespace protean
