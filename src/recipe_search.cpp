#include "protean/recipe_search.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "protean/data/split.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/losses/huber.hpp"

namespace protean {

namespace {

// The mean training loss of `model` on rows it was not trained on, with the inputs and (for
// regression) the targets standardized as the model's own scalers do, so that folds compare.
double held_out_loss(Model& model, const Dataset& held_out, double huber_delta) {
  Matrix inputs = Matrix::copy_of(held_out.inputs);
  model.input_scaler.transform(inputs);
  Matrix targets = Matrix::copy_of(held_out.targets);
  if (model.task == Task::regression) model.target_scaler.transform(targets);
  const Matrix outputs = model.network.predict(inputs);
  const std::unique_ptr<Loss> loss =
      model.loss == "huber" ? std::make_unique<HuberLoss>(huber_delta) : make_loss(model.loss);
  const double value = loss->value(outputs, targets);
  return std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<RecipeCandidate> automatic_candidates() {
  return {{"adam", 0.0f},  {"adam", 1e-4f},  {"adam", 1e-3f}, {"adam", 1e-2f},
          {"adam", 3e-2f}, {"lbfgs", 1e-3f}, {"lbfgs", 1e-2f}};
}

RecipeSearchResult search_recipe(const Dataset& data, const FitOptions& base, const std::vector<RecipeCandidate>& candidates,
                                 int folds, const CandidateCallback& on_candidate) {
  if (candidates.empty()) throw Error("the recipe search has no candidates", "give at least one optimizer and weight decay");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Split> splits = fold_rows(data, folds, base.seed);
  std::vector<Dataset> train_parts;
  std::vector<Dataset> held_out_parts;
  for (const Split& split : splits) {
    train_parts.push_back(select_rows(data, split.train));
    held_out_parts.push_back(select_rows(data, split.held_out));
  }

  RecipeSearchResult result;
  result.folds = folds;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    FitOptions options = base;
    options.optimizer = candidates[c].optimizer;
    options.weight_decay = candidates[c].weight_decay;
    options.search = SearchMode::off;
    options.validation_fraction = 0.0;
    options.checkpoint_every = 0;
    options.on_checkpoint = nullptr;
    options.on_search_candidate = nullptr;
    options.resume = nullptr;

    double total = 0.0;
    for (std::size_t k = 0; k < splits.size(); ++k) {
      FitResult fitted = fit(train_parts[k], options);
      if (fitted.training.interrupted) {
        throw Error("stopped during the cross-validated search for the optimizer and weight decay, before the final model "
                    "was trained; nothing was saved",
                    "run again, or give --search off (or an --optimizer and a --weight-decay) to train without the search");
      }
      const double loss = fitted.training.divergence ? std::numeric_limits<double>::infinity()
                                                     : held_out_loss(fitted.model, held_out_parts[k], base.huber_delta);
      total += loss * static_cast<double>(held_out_parts[k].rows());
    }
    result.scores.push_back({candidates[c], total / static_cast<double>(data.rows())});
    if (result.scores[c].held_out_loss < result.scores[result.chosen].held_out_loss) result.chosen = c;
    if (on_candidate) on_candidate(result.scores[c], c, candidates.size());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace protean
