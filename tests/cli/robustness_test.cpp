// Never losing a run, through the command line: divergence, checkpoints, Ctrl-C and resume, and
// a full disk while saving.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"
#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/io/model_file.hpp"

namespace protean {
namespace {

namespace fs = std::filesystem;
using testing_support::read_text;
using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Expects the two model files to contain bitwise the same parameters.
void expect_same_parameters(const fs::path& first, const fs::path& second) {
  Model a = load_model(first);
  Model b = load_model(second);
  const auto a_parameters = a.network.parameters();
  const auto b_parameters = b.network.parameters();
  ASSERT_EQ(a_parameters.size(), b_parameters.size());
  for (std::size_t i = 0; i < a_parameters.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(a_parameters[i].value, b_parameters[i].value)) << a_parameters[i].name;
  }
}

std::string regression_csv(int rows) {
  std::ostringstream csv;
  csv << "x1,x2,y\n";
  for (int i = 0; i < rows; ++i) {
    const double a = i / 20.0;
    const double b = std::sin(i);
    csv << a << ',' << b << ',' << 3 * a - b + 0.5 * a * b << '\n';
  }
  return csv.str();
}

// Targets that look like noise: x1 and x2 carry no pattern that a network could find quickly,
// so L-BFGS keeps improving its fit for hundreds of iterations instead of converging at once.
std::string noise_csv(int rows) {
  std::ostringstream csv;
  csv << "x1,x2,y\n";
  for (int i = 0; i < rows; ++i) {
    const double hashed = std::sin(i * 12.9898) * 43758.5453;
    csv << i / 20.0 << ',' << std::sin(i) << ',' << hashed - std::floor(hashed) << '\n';
  }
  return csv.str();
}

// Every value of `protean predict` output (a header line, then one number per line) is finite.
void expect_finite_predictions(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  std::getline(lines, line);
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::isfinite(std::stod(line))) << line;
    ++count;
  }
  EXPECT_GT(count, 0);
}

TEST(CliDivergence, LearningRate100StopsWithMessage) {
  TempDir dir;
  dir.write("data.csv", regression_csv(200));
  const auto fit = run_cli(dir.path(), "fit data.csv --optimizer sgd --lr 100 -e 20 -o model.safetensors");
  EXPECT_EQ(fit.exit_code, 1) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("training diverged at epoch 1, batch"));
  EXPECT_THAT(fit.err, HasSubstr("became NaN or infinite"));
  EXPECT_THAT(fit.err, HasSubstr("the learning rate 100 is likely too high"));
  // No epoch ended finite, so there is no model worth writing anywhere.
  EXPECT_THAT(fit.err, HasSubstr("nothing was saved, and model.safetensors was left as it was"));
  EXPECT_FALSE(fs::exists(dir.path() / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir.path() / "model.diverged.safetensors"));
}

TEST(CliDivergence, KeepsExistingModelFile) {
  TempDir dir;
  dir.write("data.csv", regression_csv(200));
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -e 5 -q -o model.safetensors").exit_code, 0);
  const std::string good = read_text(dir.path() / "model.safetensors");
  const auto fit = run_cli(dir.path(), "fit data.csv --optimizer sgd --lr 100 -e 20 -o model.safetensors");
  EXPECT_EQ(fit.exit_code, 1) << fit.err;
  EXPECT_EQ(read_text(dir.path() / "model.safetensors"), good) << "a diverged run replaced a good model";
}

TEST(CliDivergence, LaterDivergenceSavesLastFiniteEpochAside) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  dir.write("model.safetensors", "an older model");
  // Warm-up from 1000 to 1e6 over 1000 epochs: the first epoch ends finite, the second does not.
  const auto fit = run_cli(dir.path(),
                           "fit data.csv --search off --optimizer adam --lr 1e6 --warmup 1000 -e 1000 -o model.safetensors");
  EXPECT_EQ(fit.exit_code, 1) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("training diverged at epoch 2"));
  EXPECT_THAT(fit.err, HasSubstr("the model of epoch 1, the last that ended finite, was saved to "
                                 "model.diverged.safetensors, and model.safetensors was left as it was"));
  EXPECT_EQ(read_text(dir.path() / "model.safetensors"), "an older model");
  const auto predict = run_cli(dir.path(), "predict model.diverged.safetensors data.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  expect_finite_predictions(predict.out);
}

TEST(CliDivergence, RetryLowerLrRecovers) {
  TempDir dir;
  dir.write("data.csv", regression_csv(200));
  const auto fit = run_cli(dir.path(), "fit data.csv --optimizer sgd --lr 100 -e 5 --retry-lower-lr -q -o model.safetensors");
  EXPECT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("retrying from the start with learning rate 10 (retry 1 of 3)"));
  const auto predict = run_cli(dir.path(), "predict model.safetensors data.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  expect_finite_predictions(predict.out);
}

std::vector<std::string> checkpoint_names(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.find("-checkpoint-") != std::string::npos) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(CliCheckpoint, PeriodicCheckpointsKeepNewest) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  fs::create_directories(dir.path() / "ckpt");
  const auto fit = run_cli(dir.path(), "fit data.csv -e 7 --checkpoint-every 2 --keep-checkpoints 2 --checkpoint-dir ckpt -q -o m.safetensors");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(checkpoint_names(dir.path() / "ckpt"),
            (std::vector<std::string>{"m-checkpoint-epoch-000004.safetensors", "m-checkpoint-epoch-000006.safetensors"}));
}

TEST(CliCheckpoint, ResumeGivesSameModel) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -e 6 --checkpoint-every 3 -q -o straight.safetensors").exit_code, 0);
  const auto resumed = run_cli(dir.path(), "fit --resume straight-checkpoint-epoch-000003.safetensors -q -o resumed.safetensors");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;

  expect_same_parameters(dir.path() / "straight.safetensors", dir.path() / "resumed.safetensors");
}

// The thread count changes no bit of a run, so a run may continue on another number of threads.
// Batches of 256 rows through 128-128 layers train in two shards, on both threads at -j 2.
TEST(CliCheckpoint, ResumeTakesThreadCount) {
  TempDir dir;
  dir.write("data.csv", regression_csv(600));
  const std::string recipe = "fit data.csv -e 4 -b 256 --hidden 128,128 --checkpoint-every 2 -q";
  ASSERT_EQ(run_cli(dir.path(), recipe + " -j 1 -o straight.safetensors").exit_code, 0);
  const auto resumed = run_cli(dir.path(), "fit --resume straight-checkpoint-epoch-000002.safetensors -j 2 -q -o resumed.safetensors");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;

  expect_same_parameters(dir.path() / "straight.safetensors", dir.path() / "resumed.safetensors");
}

// More threads than CPUs only take turns, so fit lowers the count to the CPUs it may use and
// prints a warning. The model is the same as with one thread.
TEST(CliThreads, CountAboveCpusIsLowered) {
  TempDir dir;
  dir.write("data.csv", regression_csv(300));
  const std::string recipe = "fit data.csv -e 2 -b 64 --hidden 32 -q";
  ASSERT_EQ(run_cli(dir.path(), recipe + " -j 1 -o single.safetensors").exit_code, 0);
  const auto many = run_cli(dir.path(), recipe + " -j 1024 -o many.safetensors");
  ASSERT_EQ(many.exit_code, 0) << many.err;
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  if (CPU_COUNT(&set) < 1024) {
    EXPECT_THAT(many.err, HasSubstr("--threads 1024 is more than the " + std::to_string(CPU_COUNT(&set)) + " CPUs"));
  }

  expect_same_parameters(dir.path() / "single.safetensors", dir.path() / "many.safetensors");
}

TEST(CliCheckpoint, ResumeRejectsRecipeOptions) {
  TempDir dir;
  dir.write("data.csv", regression_csv(60));
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -e 2 --checkpoint-every 2 -q -o m.safetensors").exit_code, 0);
  const auto resumed = run_cli(dir.path(), "fit --resume m-checkpoint-epoch-000002.safetensors --lr 0.5");
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_THAT(resumed.err, HasSubstr("--lr cannot be combined with --resume"));
}

// A checkpoint given where a model is expected, and a CSV file given to --resume, are named for
// what they are instead of being reported as damaged.
TEST(CliCheckpoint, FilesInWrongPlaceAreNamed) {
  TempDir dir;
  dir.write("data.csv", regression_csv(60));
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -e 2 --checkpoint-every 2 -q -o m.safetensors").exit_code, 0);
  const std::string checkpoint = "m-checkpoint-epoch-000002.safetensors";

  for (const std::string& command : {"info " + checkpoint, "predict " + checkpoint + " data.csv"}) {
    const auto result = run_cli(dir.path(), command);
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_THAT(result.err, HasSubstr(checkpoint + ": this is a training checkpoint, not a model file")) << command;
    EXPECT_THAT(result.err, HasSubstr("protean fit --resume " + checkpoint)) << command;
    EXPECT_THAT(result.err, Not(HasSubstr("damaged"))) << command;
  }

  const auto resumed = run_cli(dir.path(), "fit --resume data.csv");
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_THAT(resumed.err, HasSubstr("data.csv: this is a text file, not a checkpoint"));
  EXPECT_THAT(resumed.err, Not(HasSubstr("header length")));
}

TEST(CliCheckpoint, ResumeKeepsItsCheckpoint) {
  TempDir dir;
  dir.write("data.csv", regression_csv(60));
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -e 4 --checkpoint-every 2 -q -o m.safetensors").exit_code, 0);
  const std::string checkpoint = "m-checkpoint-epoch-000002.safetensors";
  const std::string before = read_text(dir.path() / checkpoint);

  const auto resumed = run_cli(dir.path(), "fit --resume " + checkpoint + " -q -o " + checkpoint);
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_THAT(resumed.err, HasSubstr("the output path is the input file '" + checkpoint + "'"));
  EXPECT_EQ(read_text(dir.path() / checkpoint), before);
}

TEST(CliCheckpoint, FitWithoutDataIsUsageError) {
  TempDir dir;
  const auto fit = run_cli(dir.path(), "fit -o m.safetensors");
  EXPECT_EQ(fit.exit_code, 2);
  EXPECT_THAT(fit.err, HasSubstr("DATA"));
}

// A `protean fit` running in the background, for sending it signals.
class BackgroundFit {
 public:
  BackgroundFit(const fs::path& folder, const std::string& arguments) : out_(folder / "bg.stdout"), err_(folder / "bg.stderr") {
    const std::string command = "cd '" + folder.string() + "' && exec '" PROTEAN_CLI_PATH "' " + arguments + " >'" + out_.string() +
                                "' 2>'" + err_.string() + "' </dev/null";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~BackgroundFit() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Waits until stdout contains `text`. Returns false if the process ended first.
  bool wait_for_output(const std::string& text) {
    while (read_text(out_).find(text) == std::string::npos) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        waited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  void signal(int number) const { ::kill(pid_, number); }
  int wait() {
    if (!waited_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      waited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return exit_code_;
  }
  std::string err() const { return read_text(err_); }

 private:
  fs::path out_;
  fs::path err_;
  pid_t pid_ = -1;
  bool waited_ = false;
  int exit_code_ = -1;
};

// 100000 epochs take about a second at -O3 (much longer under sanitizers), so a signal sent as
// soon as the first epoch line appears arrives long before training ends.
constexpr const char* kLongRun = "fit data.csv -e 100000 --hidden 16 --validation 0.1";

TEST(CliInterrupt, SigintSavesCheckpointAndResumesBitwise) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  BackgroundFit run(dir.path(), std::string(kLongRun) + " -o run.safetensors");
  ASSERT_TRUE(run.wait_for_output("epoch 1/")) << run.err();
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 130) << run.err();
  const std::string err = run.err();
  EXPECT_THAT(err, HasSubstr("interrupted by SIGINT after"));
  const std::string marker = "resume with: protean fit --resume '";
  const auto at = err.find(marker);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string checkpoint = err.substr(at + marker.size(), err.find('\'', at + marker.size()) - at - marker.size());
  EXPECT_TRUE(fs::exists(dir.path() / checkpoint)) << checkpoint;
  EXPECT_FALSE(fs::exists(dir.path() / "run.safetensors"));

  const auto resumed = run_cli(dir.path(), "fit --resume '" + checkpoint + "' -q");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  ASSERT_EQ(run_cli(dir.path(), std::string(kLongRun) + " -q -o straight.safetensors").exit_code, 0);

  expect_same_parameters(dir.path() / "straight.safetensors", dir.path() / "run.safetensors");
}

TEST(CliInterrupt, SigtermExitsWith143) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  BackgroundFit run(dir.path(), std::string(kLongRun) + " -o run.safetensors");
  ASSERT_TRUE(run.wait_for_output("epoch 1/")) << run.err();
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(), 143) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("interrupted by SIGTERM"));
}

TEST(CliInterrupt, SigintDuringSearchExitsWith130) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  dir.write("run.safetensors", "an older model");
  // --search on with many epochs keeps every fit of the search long enough to be interrupted.
  BackgroundFit run(dir.path(), "fit data.csv --search on -e 100000 --hidden 16 -o run.safetensors");
  ASSERT_TRUE(run.wait_for_output("data:")) << run.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 130) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("interrupted by SIGINT during the search for the optimizer and weight decay"));
  EXPECT_THAT(run.err(), HasSubstr("nothing was saved"));
  EXPECT_EQ(read_text(dir.path() / "run.safetensors"), "an older model");
}

TEST(CliInterrupt, SigtermStopsLbfgs) {
  TempDir dir;
  // On 120 rows of a smooth function L-BFGS converged in about 20 ms, at times before the
  // signal arrived. Noise on 4000 rows keeps it busy for a few hundred milliseconds.
  dir.write("data.csv", noise_csv(4000));
  BackgroundFit run(dir.path(), "fit data.csv --optimizer lbfgs -e 1000000 --hidden 64 -o run.safetensors");
  ASSERT_TRUE(run.wait_for_output("iteration 1/")) << run.err();
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait(), 143) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("an L-BFGS run keeps no checkpoint, so nothing was saved"));
  EXPECT_FALSE(fs::exists(dir.path() / "run.safetensors"));
}

TEST(CliInterrupt, SecondSignalLeavesNoPartialFile) {
  TempDir dir;
  dir.write("data.csv", regression_csv(120));
  BackgroundFit run(dir.path(), std::string(kLongRun) + " -o run.safetensors");
  ASSERT_TRUE(run.wait_for_output("epoch 1/")) << run.err();
  run.signal(SIGINT);
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 130) << run.err();
  // Whether the second signal came before, during or after the checkpoint was written, every
  // file left is complete: no temporary file, and any checkpoint loads.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
    if (name.find("-checkpoint-") != std::string::npos) {
      const auto resumed = run_cli(dir.path(), "fit --resume '" + name + "' -e 1 -q");
      // -e is rejected with --resume, which proves the checkpoint itself was read.
      EXPECT_EQ(resumed.exit_code, 1);
      EXPECT_THAT(resumed.err, HasSubstr("--epochs cannot be combined with --resume")) << resumed.err;
    }
  }
}

// A 64 KiB tmpfs stands in for a full disk. Mounting needs root (CAP_SYS_ADMIN); elsewhere the
// test is skipped.
class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_.path() / "small";
    fs::create_directories(mount_point_);
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=64k") != 0) {
      GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount(mount_point_.c_str());
  }

  TempDir dir_;
  fs::path mount_point_;
  bool mounted_ = false;
};

TEST_F(FullDisk, SaveKeepsPreviousFile) {
  const fs::path target = mount_point_ / "model.safetensors";
  const std::string previous(16 * 1024, 'p');
  write_file_atomically(target, previous);
  try {
    write_file_atomically(target, std::string(200 * 1024, 'n'));
    FAIL() << "a 200 KiB file was written to a 64 KiB disk";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("model.safetensors"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("No space left on device"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("free space"));
  }
  EXPECT_EQ(read_text(target), previous);
  for (const auto& entry : fs::directory_iterator(mount_point_)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(FullDisk, FitReportsFullDisk) {
  dir_.write("data.csv", regression_csv(60));
  const fs::path target = mount_point_ / "model.safetensors";
  write_file_atomically(target, "previous");
  // 2×200 + 200×200 + 200×1 weights need about 160 KiB.
  const auto fit = run_cli(dir_.path(), "fit data.csv --hidden 200,200 -e 1 -q -o small/model.safetensors");
  EXPECT_EQ(fit.exit_code, 1) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("No space left on device"));
  EXPECT_EQ(read_text(target), "previous");
}

}  // namespace
}  // namespace protean
