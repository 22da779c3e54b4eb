// Dropout (Srivastava et al., 2014), inverted: in training each element is zeroed with
// probability p and the survivors are scaled by 1/(1 − p), so the expected output equals the
// input; in inference the layer is the identity and returns its input view unchanged.
//
// The mask comes from the layer's own Rng, seeded from the network's stream in initialize(), so
// Network::initialize(seed) followed by the same batches gives the same masks.
// Checkpoints store the generator's state (Layer::generator()). NOTE: model files do not, so a
// network loaded from a model file draws masks from a fixed default seed until initialize().
#pragma once

#include <cstdint>
#include <vector>

#include "protean/layers/layer.hpp"
#include "protean/random.hpp"

namespace protean {

class Dropout final : public Layer {
 public:
  Dropout(Index width, float rate);

  std::string type() const override { return "dropout"; }
  Index input_width() const override { return width_; }
  Index output_width() const override { return width_; }
  float rate() const { return rate_; }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;

  std::vector<Parameter> parameters() override { return {}; }
  Index parameter_count() const override { return 0; }
  void initialize(Rng& rng) override;
  Rng* generator() override { return &rng_; }
  std::unique_ptr<Layer> clone() const override { return std::make_unique<Dropout>(*this); }
  LayerConfig config() const override;

 private:
  Index width_;
  float rate_;  // p in [0, 1)
  Rng rng_;
  Mode mode_ = Mode::inference;  // of the last forward
  Matrix mask_;  // N×I of 0 and 1/(1 − p), from the last training forward
  Matrix y_;     // N×I
  Matrix dx_;    // N×I
  std::vector<std::uint32_t> draws_;  // one row's random draws, reused across rows and steps
};

}  // namespace protean
