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

  // One job per candidate and fold, numbered candidate by candidate. Each fit runs on one thread,
  // and base.threads of them run at once; every fit is seeded alike whichever thread runs it.
  const std::size_t fold_count = splits.size();
  const std::size_t job_count = candidates.size() * fold_count;
  std::vector<double> losses(job_count, 0.0);
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
    losses[job] = fitted.training.divergence ? std::numeric_limits<double>::infinity()
                                             : held_out_loss(fitted.model, held_out_parts[k], base.huber_delta);

    // Score the candidates whose folds are all done, in candidate order, summing folds in order.
    const std::lock_guard<std::mutex> lock(mutex);
    ++finished_folds[c];
    while (result.scores.size() < candidates.size() && finished_folds[result.scores.size()] == fold_count) {
      const std::size_t scored = result.scores.size();
      double total = 0.0;
      for (std::size_t f = 0; f < fold_count; ++f) {
        total += losses[scored * fold_count + f] * static_cast<double>(held_out_parts[f].rows());
      }
      result.scores.push_back({candidates[scored], total / static_cast<double>(data.rows())});
      if (result.scores[scored].held_out_loss < result.scores[result.chosen].held_out_loss) result.chosen = scored;
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

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace protean
