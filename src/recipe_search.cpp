#include "protean/recipe_search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include "protean/data/split.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/kernels/backend.hpp"
#include "protean/losses/huber.hpp"

namespace protean {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// One fold's held-out losses: their mean, and the sum of their squares for the standard error.
struct HeldOutLoss {
  double mean = 0.0;
  double sum_of_squares = 0.0;
};

// The training loss of `model` on rows it was not trained on, with the inputs and (for
// regression) the targets standardized as the model's own scalers do, so that folds compare.
// Both fields are infinity when the loss is not finite.
HeldOutLoss held_out_loss(Model& model, const Dataset& held_out, double huber_delta) {
  Matrix inputs = Matrix::copy_of(held_out.inputs);
  model.input_scaler.transform(inputs);
  Matrix targets = Matrix::copy_of(held_out.targets);
  if (model.task == Task::regression) model.target_scaler.transform(targets);
  const Matrix outputs = model.network.predict(inputs);
  const std::unique_ptr<Loss> loss =
      model.loss == "huber" ? std::make_unique<HuberLoss>(huber_delta) : make_loss(model.loss);
  const double value = loss->value(outputs, targets);
  if (!std::isfinite(value)) return {kInfinity, kInfinity};

  // A one-row batch gives that row's loss, and the mean of these is `value`.
  double sum_of_squares = 0.0;
  for (Index r = 0; r < outputs.rows(); ++r) {
    const double row_loss = loss->value(outputs.middle_rows(r, 1), targets.middle_rows(r, 1));
    sum_of_squares += row_loss * row_loss;
  }
  return {value, sum_of_squares};
}

}  // namespace

std::size_t choose_candidate(const std::vector<CandidateScore>& scores, Task task) {
  if (scores.empty()) throw Error("the recipe search has no scores to choose from", "score at least one candidate");
  std::size_t lowest = 0;
  for (std::size_t i = 1; i < scores.size(); ++i) {
    if (scores[i].held_out_loss < scores[lowest].held_out_loss) lowest = i;
  }
  if (task != Task::classification || !std::isfinite(scores[lowest].held_out_loss)) return lowest;

  const double limit = scores[lowest].held_out_loss + scores[lowest].standard_error;
  std::size_t chosen = lowest;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!(scores[i].held_out_loss <= limit)) continue;
    const float decay = scores[i].candidate.weight_decay;
    const float chosen_decay = scores[chosen].candidate.weight_decay;
    if (decay > chosen_decay || (decay == chosen_decay && scores[i].held_out_loss < scores[chosen].held_out_loss)) chosen = i;
  }
  return chosen;
}

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

  // One job per candidate and fold, numbered candidate by candidate. Each fit runs on one thread,
  // and base.threads of them run at once; every fit is seeded alike whichever thread runs it.
  const std::size_t fold_count = splits.size();
  const std::size_t job_count = candidates.size() * fold_count;
  std::vector<HeldOutLoss> losses(job_count);
  std::vector<std::size_t> finished_folds(candidates.size(), 0);
  RecipeSearchResult result;
  result.folds = folds;
  std::mutex mutex;  // guards finished_folds, result and first_error, and orders the callbacks
  std::exception_ptr first_error;
  std::atomic<std::size_t> next_job{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> interrupted{false};

  auto run_job = [&](std::size_t job) {
    const std::size_t c = job / fold_count;
    const std::size_t k = job % fold_count;
    FitOptions options = base;
    options.optimizer = candidates[c].optimizer;
    options.weight_decay = candidates[c].weight_decay;
    options.search = SearchMode::off;
    options.validation_fraction = 0.0;
    options.threads = 1;
    options.checkpoint_every = 0;
    options.on_checkpoint = nullptr;
    options.on_search_candidate = nullptr;
    options.resume = nullptr;
    FitResult fitted = fit(train_parts[k], options);
    if (fitted.training.interrupted) {
      interrupted.store(true);
      return;
    }
    losses[job] = fitted.training.divergence ? HeldOutLoss{kInfinity, kInfinity}
                                             : held_out_loss(fitted.model, held_out_parts[k], base.huber_delta);

    // Score the candidates whose folds are all done, in candidate order, summing folds in order.
    const std::lock_guard<std::mutex> lock(mutex);
    ++finished_folds[c];
    while (result.scores.size() < candidates.size() && finished_folds[result.scores.size()] == fold_count) {
      const std::size_t scored = result.scores.size();
      double total = 0.0;
      double sum_of_squares = 0.0;
      for (std::size_t f = 0; f < fold_count; ++f) {
        total += losses[scored * fold_count + f].mean * static_cast<double>(held_out_parts[f].rows());
        sum_of_squares += losses[scored * fold_count + f].sum_of_squares;
      }
      const auto rows = static_cast<double>(data.rows());
      const double mean = total / rows;
      double standard_error = kInfinity;
      if (std::isfinite(mean)) {
        const double variance = std::max(0.0, (sum_of_squares - rows * mean * mean) / std::max(rows - 1.0, 1.0));
        standard_error = std::sqrt(variance / rows);
      }
      result.scores.push_back({candidates[scored], mean, standard_error});
      if (on_candidate) on_candidate(result.scores[scored], scored, candidates.size());
    }
  };
  auto work = [&] {
    for (std::size_t job = next_job++; job < job_count && !failed.load() && !interrupted.load(); job = next_job++) {
      try {
        run_job(job);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
      }
    }
  };

  // Every fit sets the shared CPU backend to one thread; setting it here first means the
  // workers find it unchanged and only read it.
  cpu_backend().set_threads(1);
  const auto workers = static_cast<std::size_t>(std::clamp<std::int64_t>(base.threads, 1, static_cast<std::int64_t>(job_count)));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
  result.interrupted = interrupted.load();
  if (!result.scores.empty()) result.chosen = choose_candidate(result.scores, data.task);

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace protean
