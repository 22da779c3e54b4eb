// Dense: a fully connected layer, y[N×O] = act(x[N×I] · W[I×O] + b[1×O]).
//
// With one input, one hidden Dense of n units and an identity output, a network is the classic
// model function y = b + Σᵢ cᵢ·act(wᵢ·x + bᵢ): wᵢ and bᵢ are this layer's weight and bias, cᵢ
// and b the next layer's.
#pragma once

#include "protean/activations/activation.hpp"
#include "protean/layers/layer.hpp"

namespace protean {

// How initialize() draws the weights. Biases start at zero.
enum class Init {
  automatic,    // He for ReLU-like activations, LeCun for hard_tanh and hard_sigmoid, siren for sine, Glorot otherwise
  glorot,       // uniform in ±sqrt(6 / (I + O)), Glorot and Bengio (2010)
  he,           // normal with standard deviation sqrt(2 / I), He et al. (2015)
  // Normal with standard deviation sqrt(1 / I) (LeCun et al., "Efficient BackProp", 1998), so
  // that x·w has about the spread of one input. For hard_sigmoid, whose kinks lie at ±3 rather
  // than ±1, it is 3·sqrt(1 / I). A piecewise-linear unit whose inputs never reach a kink is
  // linear, and a network of such units stays at the best linear fit. With Glorot's smaller
  // weights, 1-64-64-1 hard_tanh and hard_sigmoid networks fitted sin(2x) on [−3, 3] with a
  // validation r² of 0.13 and 0.46 after 300 epochs. With these weights the r² was 0.99999 and 0.9998.
  lecun,
  // The two SIREN schemes of Sitzmann et al. (2020) for sin(ω₀·z) units with ω₀ = 30: the first
  // layer of a network uniform in ±1/I, so that ω₀·z spans a few periods over inputs in [−1, 1],
  // and every later layer uniform in ±sqrt(6 / I) / ω₀, so that ω₀·z is about standard normal.
  // Network::add_dense picks siren_first for a sine layer that takes the network's inputs.
  siren_first,
  siren,
};

class Dense final : public Layer {
 public:
  Dense(Index inputs, Index units, Activation activation = Activation::identity, Init init = Init::automatic);

  std::string type() const override { return "dense"; }
  LayerConfig config() const override;
  Index input_width() const override { return weight().rows(); }
  Index output_width() const override { return weight().cols(); }
  Activation activation() const { return activation_; }
  Init init() const { return init_; }

  ConstMatrixView forward(ConstMatrixView x, Mode mode) override;
  MatrixView backward(MatrixView dy, bool need_dx) override;
  // This layer as one link of a Backend::dense_chain_forward() call for inference on x, with y
  // sized for its output. Afterwards the layer keeps nothing that backward() needs. Requires an
  // activation whose derivative does not need the input (derivative_needs_input() false).
  DenseLink inference_link(ConstMatrixView x);

  std::vector<Parameter> parameters() override;
  Index parameter_count() const override { return weight().size() + bias().size(); }
  void initialize(Rng& rng) override;
  std::unique_ptr<Layer> clone() const override { return std::make_unique<Dense>(*this); }
  std::unique_ptr<Layer> replica() override;
  // The replica as a Dense value, for layers that contain dense layers (ResidualBlock).
  Dense shared_copy();

  // A replica's weight and bias are those of the layer it was made from.
  Matrix& weight() { return shared_ != nullptr ? shared_->weight_ : weight_; }
  Matrix& bias() { return shared_ != nullptr ? shared_->bias_ : bias_; }
  const Matrix& weight() const { return shared_ != nullptr ? shared_->weight_ : weight_; }
  const Matrix& bias() const { return shared_ != nullptr ? shared_->bias_ : bias_; }

 private:
  Activation activation_;
  Init init_;
  Dense* shared_ = nullptr;  // the layer whose parameters a replica reads, else null
  Matrix weight_;   // I×O, empty in a replica
  Matrix bias_;     // 1×O, empty in a replica
  Matrix dweight_;  // I×O
  Matrix dbias_;    // 1×O
  ConstMatrixView x_;  // the last forward's input, read by backward
  Matrix z_;           // N×O pre-activations, kept only when derivative_needs_input(activation_)
  Matrix y_;           // N×O
  Matrix dx_;          // N×I
};

}  // namespace protean
