// Network: an ordered stack of layers, trained as one function.
//
//   protean::Network net(1);                          // one input
//   net.add_dense(64, protean::Activation::relu)      // hidden layers
//      .add_residual(64, protean::Activation::relu)
//      .add_layer_norm()
//      .add_dense(1);                                 // identity output
//   net.initialize(/*seed=*/42);
//   net.describe();                                   // "64 relu, res(64 relu), ln, 1"
//   protean::ConstMatrixView y = net.forward(x, protean::Mode::inference);   // x: N×1
//
// forward() returns a view of the last layer's output buffer; it stays valid until the next
// forward(). A Network is not safe to use from two threads at once, because the layers keep
// their buffers; copy it (copies are deep) to predict in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protean/layers/dense.hpp"
#include "protean/layers/layer.hpp"
#include "protean/layers/layer_config.hpp"

namespace protean {

class Network {
 public:
  explicit Network(Index inputs = 0, Backend& backend = cpu_backend());
  Network(const Network& other);
  Network& operator=(const Network& other);
  Network(Network&&) noexcept = default;
  Network& operator=(Network&&) noexcept = default;

  // Appends a layer whose input width must equal the current output width.
  Network& add(std::unique_ptr<Layer> layer);
  // A dense layer. With Init::automatic, a sine layer that takes the network's inputs gets
  // Init::siren_first and any later one Init::siren.
  Network& add_dense(Index units, Activation activation = Activation::identity, Init init = Init::automatic);
  Network& add_residual(Index units, Activation activation);
  Network& add_batch_norm(float momentum = 0.1f);
  Network& add_layer_norm();
  Network& add_dropout(float rate);
  Network& add_fourier_features(Index frequencies, FourierScheme scheme = FourierScheme::bands, float scale = 1.0f);
  // Appends one layer, or several, described by configurations (see architecture.hpp).
  // Errors: a configuration that cannot follow the current output width.
  Network& add(const LayerConfig& config);
  Network& add(const std::vector<LayerConfig>& configs);

  // A network of the layers' replicas (Layer::replica()): it shares this network's parameters
  // and has its own buffers and gradients. Null when a layer offers no replica. The replica must
  // not outlive this network, and layers added later are not in it.
  std::unique_ptr<Network> replica();

  // Initializes every layer's parameters from one seeded random stream.
  void initialize(std::uint64_t seed);

  ConstMatrixView forward(ConstMatrixView x, Mode mode = Mode::inference);
  // Backpropagates the gradient of the loss with respect to the output (N×O, consumed) and
  // fills every parameter's grad. The input gradient is not computed.
  void backward(MatrixView d_output);

  // Runs forward() over `x` in blocks of `batch_size` rows and returns a copy of the outputs.
  Matrix predict(ConstMatrixView x, Index batch_size = 1024);

  // Every parameter, named "<layer index>.weight" or "<layer index>.bias", in a fixed order.
  std::vector<Parameter> parameters();
  Index parameter_count() const;
  // Every non-trainable tensor, named like the parameters ("<layer index>.running_mean").
  std::vector<Buffer> buffers();
  // Every parameter's value, then every buffer: what a copy of the network's state must hold so
  // that the restored network predicts exactly as before (best-epoch restore, checkpoints).
  std::vector<MatrixView> state_views();
  // The layers' own random generators (Layer::generator()), in layer order.
  std::vector<Rng*> generators();
  std::vector<LayerConfig> layer_configs() const;

  Index input_width() const { return inputs_; }
  Index output_width() const;
  std::size_t layer_count() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_.at(i); }
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }

  Backend& backend() const { return *backend_; }
  void set_backend(Backend& backend);

  // The architecture text of the layers, e.g. "64 relu, res(64 relu)x2, 1" (architecture.hpp);
  // the input width is not part of it.
  std::string describe() const;

 private:
  Index inputs_;
  Backend* backend_;
  std::vector<std::unique_ptr<Layer>> layers_;
  // Scratch for forward() in inference: the dense layers it hands the backend as one chain.
  std::vector<DenseLink> links_;
};

}  // namespace protean
