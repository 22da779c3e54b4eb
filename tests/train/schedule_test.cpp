#include "protean/train/schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "protean/losses/mse.hpp"
#include "protean/optimizers/sgd.hpp"
#include "protean/train/trainer.hpp"

namespace protean {
namespace {

TEST(Schedule, ConstantKeepsTheBaseRate) {
  const LearningRateScheduler scheduler(Schedule::constant, 0.1f, 10);
  for (int e = 0; e < 10; ++e) EXPECT_FLOAT_EQ(scheduler.rate(e), 0.1f) << "epoch " << e;
}

TEST(Schedule, StepDropsEveryPeriod) {
  Schedule schedule = Schedule::step;
  schedule.step_epochs = 3;
  schedule.factor = 0.5;
  const LearningRateScheduler scheduler(schedule, 1.0f, 10);
  EXPECT_FLOAT_EQ(scheduler.rate(0), 1.0f);
  EXPECT_FLOAT_EQ(scheduler.rate(2), 1.0f);
  EXPECT_FLOAT_EQ(scheduler.rate(3), 0.5f);
  EXPECT_FLOAT_EQ(scheduler.rate(6), 0.25f);
  EXPECT_FLOAT_EQ(scheduler.rate(9), 0.125f);
}

TEST(Schedule, StepDefaultsToThirdsOfTheRun) {
  const LearningRateScheduler scheduler(Schedule::step, 1.0f, 9);
  EXPECT_FLOAT_EQ(scheduler.rate(2), 1.0f);
  EXPECT_FLOAT_EQ(scheduler.rate(3), 0.1f);
  EXPECT_NEAR(scheduler.rate(8), 0.01f, 1e-8);
}

TEST(Schedule, ExponentialReachesFinalFraction) {
  const LearningRateScheduler scheduler(Schedule::exponential, 2.0f, 11);
  EXPECT_FLOAT_EQ(scheduler.rate(0), 2.0f);
  EXPECT_NEAR(scheduler.rate(10), 0.02f, 1e-7);
  // A constant factor per epoch: 0.01^(1/10).
  EXPECT_NEAR(scheduler.rate(5) / scheduler.rate(4), std::pow(0.01, 0.1), 1e-6);
}

TEST(Schedule, CosineWithWarmup) {
  Schedule schedule = Schedule::cosine;
  schedule.warmup_epochs = 4;
  const LearningRateScheduler scheduler(schedule, 1.0f, 14);
  EXPECT_FLOAT_EQ(scheduler.rate(0), 0.25f);
  EXPECT_FLOAT_EQ(scheduler.rate(1), 0.5f);
  EXPECT_FLOAT_EQ(scheduler.rate(3), 1.0f);
  EXPECT_FLOAT_EQ(scheduler.rate(4), 1.0f);   // the cosine starts after warm-up
  EXPECT_NEAR(scheduler.rate(13), 0.01f, 1e-7);
  EXPECT_NEAR(scheduler.rate(9), 0.01 + 0.99 * 0.5 * (1.0 + std::cos(M_PI * 5.0 / 9.0)), 1e-6);
}

TEST(Schedule, PlateauReducesAfterPatience) {
  Schedule schedule = Schedule::plateau;
  schedule.plateau_patience = 2;
  schedule.factor = 0.5;
  LearningRateScheduler scheduler(schedule, 1.0f, 20);
  scheduler.record(0, 1.0);
  scheduler.record(1, 0.9);   // improved
  EXPECT_FLOAT_EQ(scheduler.rate(2), 1.0f);
  scheduler.record(2, 0.9);   // 1 bad epoch
  scheduler.record(3, 0.95);  // 2 bad epochs: still within patience
  EXPECT_FLOAT_EQ(scheduler.rate(4), 1.0f);
  scheduler.record(4, 0.9);   // 3 bad epochs: reduce
  EXPECT_FLOAT_EQ(scheduler.rate(5), 0.5f);
  scheduler.record(5, 0.5);   // improved again
  EXPECT_FLOAT_EQ(scheduler.rate(6), 0.5f);
}

TEST(Schedule, PlateauIgnoresTinyImprovements) {
  Schedule schedule = Schedule::plateau;
  schedule.plateau_patience = 1;
  LearningRateScheduler scheduler(schedule, 1.0f, 20);
  scheduler.record(0, 1.0);
  scheduler.record(1, 1.0 - 1e-6);
  scheduler.record(2, 1.0 - 2e-6);
  EXPECT_FLOAT_EQ(scheduler.rate(3), 0.1f);
}

TEST(Schedule, NamesRoundTrip) {
  for (const auto kind : {Schedule::constant, Schedule::step, Schedule::exponential, Schedule::cosine, Schedule::plateau}) {
    EXPECT_EQ(parse_schedule_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(parse_schedule_kind("linear"), std::nullopt);
  Schedule schedule = Schedule::cosine;
  schedule.warmup_epochs = 5;
  EXPECT_EQ(describe(schedule), "cosine to 1% with 5 warm-up epochs");
}

TEST(Train, RecordsScheduledRatePerEpoch) {
  Matrix x = Matrix::filled(8, 1, 1.0f);
  Matrix y = Matrix::filled(8, 1, 2.0f);
  Network network(1);
  network.add_dense(1);
  network.initialize(1);
  Sgd sgd(0.1f, 0.0f);
  TrainOptions options;
  options.epochs = 6;
  options.batch_size = 8;
  options.schedule = Schedule::step;
  options.schedule.step_epochs = 2;
  options.schedule.factor = 0.5;
  const TrainResult result = train(network, MeanSquaredError(), sgd, x, y, options);
  ASSERT_EQ(result.history.size(), 6u);
  EXPECT_FLOAT_EQ(result.history[0].learning_rate, 0.1f);
  EXPECT_FLOAT_EQ(result.history[2].learning_rate, 0.05f);
  EXPECT_FLOAT_EQ(result.history[5].learning_rate, 0.025f);
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.1f);  // the base rate is put back
}

}  // namespace
}  // namespace protean
