#include <gtest/gtest.h>

#include "layer_test_support.hpp"
#include "protean/architecture.hpp"
#include "protean/layers/dropout.hpp"
#include "protean/losses/mse.hpp"
#include "protean/network.hpp"

namespace protean {
namespace {

// Backpropagation through a network that uses every layer kind, against finite differences of
// the loss. Dropout is reseeded before every forward so that each one draws the same mask.
TEST(NetworkLayers, GradientsMatchFiniteDifferences) {
  for (Backend* backend : {&reference_backend(), &cpu_backend()}) {
    Rng rng(17);
    Network net(2, *backend);
    net.add(parse_architecture("fourier:2, 6 gelu, res(6 silu), res(4 tanh), bn, ln, dropout:0.3, 4 elu, 2"));
    net.initialize(3);
    auto& dropout = dynamic_cast<Dropout&>(net.layer(6));
    auto reseed = [&] {
      Rng seed(23);
      dropout.initialize(seed);
    };
    const Matrix x = testing::random_matrix(6, 2, rng, 0.3f);
    const Matrix target = testing::random_matrix(6, 2, rng);
    const MeanSquaredError loss;

    reseed();
    const ConstMatrixView output = net.forward(x, Mode::training);
    Matrix d_output = Matrix::zeros(output.rows(), output.cols());
    loss.forward_backward(output, target, d_output);
    net.backward(d_output);
    std::vector<Matrix> grads;
    for (const auto& parameter : net.parameters()) grads.push_back(Matrix::copy_of(parameter.grad));

    auto value = [&] {
      reseed();
      return loss.value(net.forward(x, Mode::training), target);
    };
    const auto parameters = net.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      testing::expect_gradient_matches(std::string(backend->name()) + " " + parameters[i].name, parameters[i].value, grads[i], value,
                                       1e-2, 3e-3);
    }
  }
}

TEST(NetworkLayers, SameSeedSameTrainingOutput) {
  const auto layers = parse_architecture("fourier:2:gaussian:1, 8 relu, dropout:0.5, 1");
  Network a(1), b(1);
  a.add(layers);
  b.add(layers);
  a.initialize(9);
  b.initialize(9);
  const Matrix x = Matrix::filled(5, 1, 0.3f);
  const Matrix first = Matrix::copy_of(a.forward(x, Mode::training));
  EXPECT_TRUE(bitwise_equal(b.forward(x, Mode::training), first));
}

TEST(NetworkLayers, SineFirstLayerUsesSirenInit) {
  Network net(4);
  net.add_dense(64, Activation::sine).add_dense(64, Activation::sine);
  net.initialize(1);
  const auto& first = dynamic_cast<const Dense&>(net.layer(0));
  const auto& second = dynamic_cast<const Dense&>(net.layer(1));
  float first_max = 0.0f, second_max = 0.0f;
  for (Index i = 0; i < first.weight().size(); ++i) first_max = std::max(first_max, std::abs(first.weight().data()[i]));
  for (Index i = 0; i < second.weight().size(); ++i) second_max = std::max(second_max, std::abs(second.weight().data()[i]));
  EXPECT_LE(first_max, 1.0f / 4.0f);                           // ±1/I
  EXPECT_GT(first_max, 0.9f / 4.0f);
  EXPECT_LE(second_max, std::sqrt(6.0f / 64.0f) / 30.0f);      // ±sqrt(6/I)/ω₀
  EXPECT_GT(second_max, 0.9f * std::sqrt(6.0f / 64.0f) / 30.0f);
}

}  // namespace
}  // namespace protean
