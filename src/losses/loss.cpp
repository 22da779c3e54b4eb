#include "protean/losses/loss.hpp"

#include "protean/losses/mse.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"

namespace protean {

std::unique_ptr<Loss> make_loss(std::string_view name) {
  if (name == "mse") return std::make_unique<MeanSquaredError>();
  if (name == "cross_entropy") return std::make_unique<SoftmaxCrossEntropy>();
  return nullptr;
}

}  // namespace protean
