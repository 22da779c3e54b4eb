// Define, train, save, load and predict: y = sin(3x) on [-1, 1] with a 1-32-32-1 network.
#include <cmath>
#include <cstdio>

#include "protean/io/model_file.hpp"
#include "protean/losses/mse.hpp"
#include "protean/optimizers/adam.hpp"
#include "protean/train/trainer.hpp"

int main() {
  using namespace protean;

  // Data: N×1 inputs and targets.
  const Index n = 512;
  Matrix x = Matrix::zeros(n, 1), y = Matrix::zeros(n, 1);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    y(i, 0) = std::sin(3.0f * x(i, 0));
  }

  // Define: 1 input, two hidden layers of 32 tanh units, one linear output.
  Model model;
  model.network = Network(1);
  model.network.add_dense(32, Activation::tanh).add_dense(32, Activation::tanh).add_dense(1);
  model.network.initialize(/*seed=*/1);
  model.input_names = {"x"};
  model.target_names = {"y"};
  model.loss = "mse";

  // Train.
  Adam adam(0.01f);
  TrainOptions options;
  options.epochs = 300;
  options.batch_size = 32;
  options.schedule = Schedule::cosine;
  const TrainResult result = train(model.network, MeanSquaredError(), adam, x, y, options);
  std::printf("final training loss %.2e after %zu epochs\n", result.history.back().train_loss, result.history.size());

  // Save, load, predict.
  save_model(model, "quickstart.safetensors");
  Model loaded = load_model("quickstart.safetensors");
  Matrix probe = Matrix::filled(1, 1, 0.5f);
  const float predicted = loaded.predict(probe)(0, 0);
  std::printf("f(0.5) = %.4f, sin(1.5) = %.4f\n", predicted, std::sin(1.5f));
  return std::abs(predicted - std::sin(1.5f)) < 0.05f ? 0 : 1;
}
