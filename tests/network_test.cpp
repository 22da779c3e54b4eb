#include "protean/network.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "protean/error.hpp"
#include "protean/losses/mse.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"

namespace protean {
namespace {

Matrix random_matrix(Index rows, Index cols, Rng& rng) {
  Matrix m = Matrix::zeros(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

// Backpropagation through a whole three-layer network, with each loss, against finite
// differences of the loss itself.
void check_network_gradient(const Loss& loss, Network& net, const Matrix& x, const Matrix& target) {
  const ConstMatrixView output = net.forward(x, Mode::training);
  Matrix d_output = Matrix::zeros(output.rows(), output.cols());
  loss.forward_backward(output, target, d_output);
  net.backward(d_output);
  std::vector<Matrix> grads;
  for (const auto& parameter : net.parameters()) grads.push_back(Matrix::copy_of(parameter.grad));
  auto value = [&] { return loss.value(net.forward(x, Mode::training), target); };
  const auto parameters = net.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    testing::expect_gradient_matches(loss.name() + " " + parameters[i].name, parameters[i].value, grads[i], value);
  }
}

TEST(Network, MseGradientMatchesFiniteDifferences) {
  Rng rng(7);
  Network net(3, reference_backend());
  net.add_dense(5, Activation::tanh).add_dense(4, Activation::sigmoid).add_dense(2);
  net.initialize(3);
  check_network_gradient(MeanSquaredError(), net, random_matrix(6, 3, rng), random_matrix(6, 2, rng));
}

TEST(Network, CrossEntropyGradientMatchesFiniteDifferences) {
  Rng rng(8);
  Network net(4, reference_backend());
  net.add_dense(6, Activation::softplus).add_dense(5, Activation::leaky_relu).add_dense(3);
  net.initialize(4);
  Matrix labels = Matrix::zeros(7, 1);
  for (Index r = 0; r < 7; ++r) labels(r, 0) = static_cast<float>(r % 3);
  check_network_gradient(SoftmaxCrossEntropy(), net, random_matrix(7, 4, rng), labels);
}

TEST(Network, SameSeedSameWeights) {
  Network a(2), b(2);
  a.add_dense(8, Activation::relu).add_dense(1);
  b.add_dense(8, Activation::relu).add_dense(1);
  a.initialize(42);
  b.initialize(42);
  const auto pa = a.parameters();
  const auto pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(bitwise_equal(pa[i].value, pb[i].value)) << pa[i].name;
}

TEST(Network, RejectsMismatchedLayer) {
  Network net(3);
  net.add_dense(4);
  EXPECT_THROW(net.add(std::make_unique<Dense>(5, 2)), Error);
}

TEST(Network, DescribeAndCount) {
  Network net(1);
  net.add_dense(10, Activation::sigmoid).add_dense(1);
  EXPECT_EQ(net.describe(), "10 sigmoid, 1");
  EXPECT_EQ(net.parameter_count(), 1 * 10 + 10 + 10 * 1 + 1);
  EXPECT_EQ(net.parameters()[0].name, "0.weight");
  EXPECT_EQ(net.parameters()[3].name, "1.bias");
}

TEST(Network, CopyIsDeep) {
  Network a(2);
  a.add_dense(3, Activation::relu).add_dense(1);
  a.initialize(1);
  Network b = a;
  b.parameters()[0].value(0, 0) += 1.0f;
  EXPECT_NE(a.parameters()[0].value(0, 0), b.parameters()[0].value(0, 0));
}

TEST(Network, ReplicaSharesParametersButNotGradients) {
  Rng rng(3);
  Network net(3);
  net.add_dense(16, Activation::tanh).add_dense(8, Activation::gelu).add_dense(2);
  net.initialize(5);
  std::unique_ptr<Network> replica = net.replica();
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->describe(), net.describe());
  EXPECT_EQ(replica->parameter_count(), net.parameter_count());
  const Matrix x = random_matrix(5, 3, rng);
  EXPECT_TRUE(bitwise_equal(replica->forward(x, Mode::inference), Matrix::copy_of(net.forward(x, Mode::inference))));

  // A change to the network's weights is seen by the replica: the two read the same storage.
  net.parameters()[0].value(1, 2) += 0.5f;
  EXPECT_EQ(replica->parameters()[0].value(1, 2), net.parameters()[0].value(1, 2));
  EXPECT_TRUE(bitwise_equal(replica->forward(x, Mode::inference), Matrix::copy_of(net.forward(x, Mode::inference))));

  // Backward through the replica writes its own gradients and leaves the network's alone.
  for (const auto& parameter : net.parameters()) parameter.grad.fill(7.0f);
  const ConstMatrixView output = replica->forward(x, Mode::training);
  Matrix d_output = Matrix::zeros(output.rows(), output.cols());
  MeanSquaredError().forward_backward(output, random_matrix(5, 2, rng), d_output);
  replica->backward(d_output);
  const auto own = net.parameters();
  const auto theirs = replica->parameters();
  for (std::size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ(own[i].grad(0, 0), 7.0f) << own[i].name;
    EXPECT_NE(theirs[i].grad(0, 0), 7.0f) << theirs[i].name;
  }
}

// Residual blocks (one with a projection, 3 → 16 units), layer normalization and Fourier
// features share their parameters and buffers with replicas too.
TEST(Network, ReplicaOfEveryRowWiseLayer) {
  Rng rng(8);
  Network net(3);
  net.add_fourier_features(2).add_residual(16, Activation::relu).add_layer_norm().add_residual(16, Activation::tanh).add_dense(2);
  net.initialize(4);
  for (const auto& parameter : net.parameters()) {
    for (Index i = 0; i < parameter.value.size(); ++i) parameter.value.data()[i] += 0.01f * rng.normal();
  }
  std::unique_ptr<Network> replica = net.replica();
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->describe(), net.describe());
  EXPECT_EQ(replica->parameter_count(), net.parameter_count());
  const auto own = net.parameters();
  const auto theirs = replica->parameters();
  ASSERT_EQ(theirs.size(), own.size());
  for (std::size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ(theirs[i].name, own[i].name);
    EXPECT_EQ(theirs[i].value.data(), own[i].value.data()) << own[i].name << " is not shared";
    EXPECT_NE(theirs[i].grad.data(), own[i].grad.data()) << own[i].name << " shares its gradient";
  }
  const Matrix x = random_matrix(7, 3, rng);
  EXPECT_TRUE(bitwise_equal(replica->forward(x, Mode::training), Matrix::copy_of(net.forward(x, Mode::training))));

  // The gradients of a batch through the replica are those of the same batch through the network.
  const Matrix target = random_matrix(7, 2, rng);
  for (Network* which : {&net, replica.get()}) {
    const ConstMatrixView output = which->forward(x, Mode::training);
    Matrix d_output = Matrix::zeros(output.rows(), output.cols());
    MeanSquaredError().forward_backward(output, target, d_output);
    which->backward(d_output);
  }
  for (std::size_t i = 0; i < own.size(); ++i) EXPECT_TRUE(bitwise_equal(theirs[i].grad, own[i].grad)) << own[i].name;
}

// Batch normalization mixes rows, and dropout draws random numbers.
TEST(Network, NoReplicaForBatchNormOrDropout) {
  Network norm(2);
  norm.add_dense(4, Activation::relu).add_batch_norm().add_dense(1);
  EXPECT_EQ(norm.replica(), nullptr);
  Network dropout(2);
  dropout.add_dense(4, Activation::relu).add_dropout(0.5f).add_dense(1);
  EXPECT_EQ(dropout.replica(), nullptr);
}

TEST(Network, PredictMatchesForwardInBlocks) {
  Rng rng(9);
  Network net(2);
  net.add_dense(16, Activation::tanh).add_dense(3);
  net.initialize(5);
  const Matrix x = random_matrix(37, 2, rng);
  const Matrix whole = Matrix::copy_of(net.forward(x));
  const Matrix blocks = net.predict(x, /*batch_size=*/10);
  // A block of 10 rows and one of 37 may run different kernels (the backend picks one by shape),
  // so the sums agree to rounding, not bitwise.
  ASSERT_EQ(blocks.rows(), whole.rows());
  ASSERT_EQ(blocks.cols(), whole.cols());
  for (Index r = 0; r < whole.rows(); ++r) {
    for (Index c = 0; c < whole.cols(); ++c) EXPECT_NEAR(blocks(r, c), whole(r, c), 1e-6f) << r << "," << c;
  }
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

TEST(Network, StateViewsListParametersThenBuffers) {
  Network network(3);
  network.add_dense(4, Activation::relu).add_batch_norm().add_dense(1);
  network.initialize(2);
  const std::vector<MatrixView> views = network.state_views();
  const std::vector<Parameter> parameters = network.parameters();
  const std::vector<Buffer> buffers = network.buffers();
  ASSERT_EQ(views.size(), parameters.size() + buffers.size());
  for (std::size_t i = 0; i < parameters.size(); ++i) EXPECT_EQ(views[i].data(), parameters[i].value.data()) << i;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(views[parameters.size() + i].data(), buffers[i].value.data()) << buffers[i].name;
  }
}

}  // namespace
}  // namespace protean
