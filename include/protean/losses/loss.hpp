// Loss: a scalar that training minimizes, and its gradient with respect to the network output.
//
//   float value = loss.forward_backward(output, target, d_output);
// output: N×O network outputs; target: N×O values (regression) or N×1 class ids (classification);
// d_output: N×O, overwritten with ∂value/∂output. The value is a mean over the batch, so
// learning rates do not depend on the batch size.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protean/tensor.hpp"

namespace protean {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // Returns the mean loss over the batch without computing a gradient.
  virtual double value(ConstMatrixView output, ConstMatrixView target) const = 0;
  // Returns the mean loss and writes its gradient into d_output.
  virtual double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const = 0;
};

// Creates a loss by its name on the command line and in model files: "mse", "mae", "huber"
// (δ = 1), "cross_entropy" or "bce". Returns nullptr for an unknown name.
std::unique_ptr<Loss> make_loss(std::string_view name);

}  // namespace protean
