// Layer: one stage of a network, with its forward and backward pass side by side.
//
// Protocol for one training step over a batch of N rows:
//   y  = layer.forward(x, Mode::training)   x: N×I, y: N×O, owned by the layer
//   dx = layer.backward(dy, need_dx)        dy: N×O, consumed (may be overwritten);
//                                           fills every parameter's grad; dx: N×I
// `x` must stay alive and unchanged between forward and backward, because backward reads it.
// Output and gradient buffers are reused from step to step: a training step at a fixed batch
// size allocates nothing after the first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protean/kernels/backend.hpp"
#include "protean/layers/layer_config.hpp"
#include "protean/random.hpp"
#include "protean/tensor.hpp"

namespace protean {

enum class Mode { training, inference };

// A trainable tensor and its gradient, seen through views into the layer that owns both.
struct Parameter {
  std::string name;  // "weight" or "bias" (or "first.weight" in a residual block); the network prefixes the layer index
  MatrixView value;
  MatrixView grad;
};

// A tensor that is saved with the model but not trained by the optimizer, such as batch
// normalization's running statistics or the fixed frequencies of Fourier features.
struct Buffer {
  std::string name;  // for example "running_mean"; the network prefixes the layer index
  MatrixView value;
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string type() const = 0;
  virtual Index input_width() const = 0;
  virtual Index output_width() const = 0;

  virtual ConstMatrixView forward(ConstMatrixView x, Mode mode) = 0;
  // Returns dx (N×I) as a view of a buffer the layer owns, or an empty view when !need_dx.
  virtual MatrixView backward(MatrixView dy, bool need_dx) = 0;

  virtual std::vector<Parameter> parameters() = 0;
  virtual Index parameter_count() const = 0;
  // Non-trainable tensors, in a fixed order; most layers have none.
  virtual std::vector<Buffer> buffers() { return {}; }
  // Draws fresh parameters from `rng` with the layer's default initialization. Layers that
  // draw random numbers while training (dropout) seed their own generator from `rng` here, so
  // Network::initialize(seed) makes a whole run reproducible.
  virtual void initialize(Rng& rng) = 0;
  // The layer's own generator when it draws random numbers while training (dropout), else null.
  // Checkpoints save and restore its state, so that a resumed run draws the same numbers.
  virtual Rng* generator() { return nullptr; }
  virtual std::unique_ptr<Layer> clone() const = 0;
  // A layer that reads this layer's parameters but has buffers and gradients of its own, so that
  // the trainer can run parts of a batch through replicas side by side and add their gradients.
  // Null for a layer whose rows depend on each other (batch normalization), draws random numbers
  // (dropout) or does not offer it. A replica must not outlive the layer it was made from.
  virtual std::unique_ptr<Layer> replica() { return nullptr; }
  // The configuration that rebuilds this layer (without its tensors) for a given input width.
  virtual LayerConfig config() const = 0;

  // Layers that contain other layers override this to pass the backend on.
  virtual void set_backend(Backend& backend) { backend_ = &backend; }
  Backend& backend() const { return *backend_; }

 private:
  Backend* backend_ = &cpu_backend();
};

}  // namespace protean
