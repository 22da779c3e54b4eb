// Full-batch training with L-BFGS: every iteration sees all training rows, so small data sets
// can be fitted to the limit of float32 arithmetic instead of the noise floor of mini-batches.
//
//   Lbfgs lbfgs;
//   TrainOptions options;
//   options.epochs = 500;                    // L-BFGS iterations
//   TrainResult result = train_full_batch(network, MeanSquaredError(), lbfgs, x, y, options);
// Of TrainOptions it uses epochs (as iterations), restore_best, patience, stop_requested,
// record_gradient_norms and record_activation_statistics. batch_size, schedule, clip_norm and
// drop_last do not apply. stop_requested is polled between iterations and sets
// TrainResult::interrupted, with no state to resume from. Each EpochStats is one iteration, with the full-batch training loss
// after it (the data loss, without the weight penalty) and learning_rate 0. Without validation
// rows, restore_best keeps the iteration with the lowest objective, penalty included. Training
// ends early when L-BFGS converges or finds no further decrease (TrainResult::stopped_early).
#pragma once

#include <Eigen/Core>

#include "protean/optimizers/lbfgs.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

// Returns f(θ) = mean loss over all rows + (λ/2)·Σ θ² over the decayed parameters (all but
// biases), with its gradient, where θ is every parameter of the network flattened in
// Network::parameters() order. Evaluates in blocks of `block_rows` rows in training mode. The
// objective keeps views of `inputs` and `targets` and a reference to `network` and `loss`.
Lbfgs::Objective network_objective(Network& network, const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets,
                                   double weight_decay = 0.0, Index block_rows = 4096);

// Copies every parameter value into one vector, and back.
Eigen::VectorXd flatten_parameters(Network& network);
void unflatten_parameters(const Eigen::VectorXd& values, Network& network);

// `weight_decay`: the L2 coefficient λ of the objective above. Subnormal results are flushed to
// zero while it runs, as in train().
TrainResult train_full_batch(Network& network, const Loss& loss, Lbfgs& lbfgs, ConstMatrixView inputs,
                             ConstMatrixView targets, const TrainOptions& options, double weight_decay = 0.0,
                             const Validation* validation = nullptr, TrainingObserver* observer = nullptr);

}  // namespace protean
