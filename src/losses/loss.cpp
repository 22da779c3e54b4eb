#include "protean/losses/loss.hpp"

#include "protean/losses/binary_cross_entropy.hpp"
#include "protean/losses/huber.hpp"
#include "protean/losses/mean_absolute_error.hpp"
#include "protean/losses/mse.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"

namespace protean {

std::unique_ptr<Loss> make_loss(std::string_view name) {
  if (name == "mse") return std::make_unique<MeanSquaredError>();
  if (name == "cross_entropy") return std::make_unique<SoftmaxCrossEntropy>();
  if (name == "mae") return std::make_unique<MeanAbsoluteError>();
  if (name == "huber") return std::make_unique<HuberLoss>();
  if (name == "bce") return std::make_unique<BinaryCrossEntropy>();
  return nullptr;
}

}  // namespace protean
