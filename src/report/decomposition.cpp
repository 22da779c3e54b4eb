#include "protean/report/decomposition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "protean/error.hpp"
#include "protean/layers/dense.hpp"

namespace protean {

std::vector<std::size_t> Decomposition::order_by_span() const {
  std::vector<std::size_t> order(units.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return units[a].span > units[b].span; });
  return order;
}

std::optional<std::string> decomposition_unsupported_reason(const Model& model) {
  if (model.task != Task::regression) return std::string("the model is a classifier; a decomposition needs a regression model");
  if (model.input_width() != 1) {
    return fmt::format("the model has {} inputs; a decomposition needs exactly one", model.input_width());
  }
  // A one-category column is one input that is always 1, which no curve over x can show.
  if (model.input_encoding.has_categorical()) {
    return fmt::format("its input column '{}' is categorical; a decomposition needs a numeric input",
                       model.input_encoding.columns().front().name);
  }
  const Network& network = model.network;
  if (network.layer_count() != 2) {
    return fmt::format("the network has {} hidden layers; a decomposition needs exactly one",
                       network.layer_count() == 0 ? 0 : network.layer_count() - 1);
  }
  const auto* hidden = dynamic_cast<const Dense*>(&network.layer(0));
  const auto* output = dynamic_cast<const Dense*>(&network.layer(1));
  if (hidden == nullptr || output == nullptr) return std::string("a decomposition needs Dense layers");
  if (output->activation() != Activation::identity) {
    return fmt::format("the output activation is {}; a decomposition needs identity", to_string(output->activation()));
  }
  if (!model.input_scaler.fitted() || !model.target_scaler.fitted()) {
    return std::string("the model file has no input or target standardization");
  }
  return std::nullopt;
}

Decomposition decompose(const Model& model, const std::vector<float>& xs, Index target) {
  if (const auto reason = decomposition_unsupported_reason(model)) {
    throw Error(fmt::format("cannot decompose the network {}: {}", model.network.describe(), *reason),
                "fit a network with one input and one hidden layer, for example --hidden 10 -a sigmoid");
  }
  const auto& hidden = static_cast<const Dense&>(model.network.layer(0));
  const auto& output = static_cast<const Dense&>(model.network.layer(1));
  if (target < 0 || target >= output.output_width()) {
    throw Error(fmt::format("invalid target column {} for a decomposition of a network with {} output{}", target,
                            output.output_width(), output.output_width() == 1 ? "" : "s"),
                fmt::format("give a 0-based output column from 0 to {}", output.output_width() - 1));
  }
  const double input_mean = model.input_scaler.mean()(0, 0);
  const double input_scale = model.input_scaler.scale()(0, 0);
  const double target_mean = model.target_scaler.mean()(0, target);
  const double target_scale = model.target_scaler.scale()(0, target);

  Decomposition result;
  result.activation = hidden.activation();
  result.target = target;
  result.xs = xs;
  result.output_bias = target_scale * output.bias()(0, target) + target_mean;
  std::vector<double> total(xs.size(), result.output_bias);

  const Index units = hidden.output_width();
  result.units.reserve(static_cast<std::size_t>(units));
  for (Index i = 0; i < units; ++i) {
    UnitTerm term;
    term.unit = i;
    const double w = hidden.weight()(0, i);
    const double b = hidden.bias()(0, i);
    term.output_weight = target_scale * output.weight()(i, target);
    term.input_weight = w / input_scale;
    term.input_bias = b - w * input_mean / input_scale;
    term.values.reserve(xs.size());
    for (std::size_t k = 0; k < xs.size(); ++k) {
      // Evaluate on the standardized input, as the network does, so the sum matches predict().
      const double x_std = (static_cast<double>(xs[k]) - input_mean) / input_scale;
      const double activated = activation_value(result.activation, static_cast<float>(w * x_std + b));
      const double value = term.output_weight * activated;
      term.values.push_back(static_cast<float>(value));
      total[k] += value;
    }
    if (!term.values.empty()) {
      const auto [low, high] = std::minmax_element(term.values.begin(), term.values.end());
      term.span = static_cast<double>(*high) - static_cast<double>(*low);
    }
    result.units.push_back(std::move(term));
  }
  result.total.assign(total.begin(), total.end());
  return result;
}

}  // namespace protean
