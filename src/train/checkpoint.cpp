#include "protean/train/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/file_kind.hpp"
#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/io/model_file.hpp"

namespace protean {

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxHeaderBytes = 64ull << 20;  // the model file's limit
constexpr const char* kPrefix = "checkpoint.";

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw Error(Location{source}, "invalid checkpoint: " + what,
              "the file is damaged or not a Protean checkpoint; resume from an earlier checkpoint or start the run again");
}

// JSON has no NaN or infinity, so non-finite doubles are written as null.
json finite_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

double number_or(const json& value, double when_null, const std::string& source, const char* key) {
  if (value.is_null()) return when_null;
  if (!value.is_number()) fail(source, fmt::format("'{}' is not a number", key));
  return value.get<double>();
}

const json& member(const json& object, const char* key, const std::string& source) {
  if (!object.is_object() || !object.contains(key)) fail(source, fmt::format("'{}' is missing", key));
  return object.at(key);
}

std::int64_t integer(const json& object, const char* key, std::int64_t low, std::int64_t high, const std::string& source) {
  const json& value = member(object, key, source);
  if (!value.is_number_integer()) fail(source, fmt::format("'{}' is not an integer", key));
  const auto number = value.get<std::int64_t>();
  if (number < low || number > high) fail(source, fmt::format("'{}' is {}, outside [{}, {}]", key, number, low, high));
  return number;
}

std::string text(const json& object, const char* key, const std::string& source) {
  const json& value = member(object, key, source);
  if (!value.is_string()) fail(source, fmt::format("'{}' is not a string", key));
  return value.get<std::string>();
}

double number(const json& object, const char* key, const std::string& source) {
  const json& value = member(object, key, source);
  if (!value.is_number()) fail(source, fmt::format("'{}' is not a number", key));
  return value.get<double>();
}

// --- The recipe -------------------------------------------------------------------------------

json recipe_to_json(const FitOptions& options) {
  json recipe;
  recipe["hidden"] = options.hidden;
  recipe["activation"] = std::string(to_string(options.activation));
  recipe["architecture"] = options.architecture;
  recipe["optimizer"] = options.optimizer;
  recipe["learning_rate"] = options.learning_rate;  // a float widened to double is exact in JSON
  recipe["epochs"] = options.epochs;
  recipe["batch_size"] = options.batch_size;
  recipe["loss"] = options.loss;
  recipe["huber_delta"] = options.huber_delta;
  recipe["weight_decay"] = options.weight_decay ? json(*options.weight_decay) : json(nullptr);
  recipe["clip_norm"] = options.clip_norm;
  recipe["patience"] = options.patience;
  recipe["schedule"] = {{"kind", to_string(options.schedule.kind)},
                        {"warmup_epochs", options.schedule.warmup_epochs},
                        {"step_epochs", options.schedule.step_epochs},
                        {"factor", options.schedule.factor},
                        {"final_fraction", options.schedule.final_fraction},
                        {"plateau_patience", options.schedule.plateau_patience}};
  recipe["validation_fraction"] = options.validation_fraction;
  recipe["search"] = to_string(options.search);
  recipe["search_summary"] = options.search_summary;
  recipe["seed"] = std::to_string(options.seed);  // as text: JSON readers often hold numbers as doubles
  recipe["threads"] = options.threads;
  recipe["diagnostics"] = options.diagnostics;
  return recipe;
}

FitOptions recipe_from_json(const json& recipe, const std::string& source) {
  FitOptions options;
  const json& hidden = member(recipe, "hidden", source);
  if (!hidden.is_array() || hidden.size() > 100'000) fail(source, "'hidden' is not a list of widths");
  options.hidden.clear();
  for (const json& width : hidden) {
    if (!width.is_number_integer() || width.get<std::int64_t>() < 1 || width.get<std::int64_t>() > 1'000'000) {
      fail(source, "'hidden' holds a width outside [1, 1000000]");
    }
    options.hidden.push_back(width.get<Index>());
  }
  const std::string activation = text(recipe, "activation", source);
  const auto parsed = parse_activation(activation);
  if (!parsed) fail(source, fmt::format("unknown activation {}", quote_value(activation)));
  options.activation = *parsed;
  options.architecture = text(recipe, "architecture", source);
  options.optimizer = text(recipe, "optimizer", source);
  options.learning_rate = static_cast<float>(number(recipe, "learning_rate", source));
  options.epochs = static_cast<int>(integer(recipe, "epochs", 1, 1'000'000, source));
  options.batch_size = integer(recipe, "batch_size", 1, Index{1} << 30, source);
  options.loss = text(recipe, "loss", source);
  options.huber_delta = number(recipe, "huber_delta", source);
  const json& weight_decay = member(recipe, "weight_decay", source);
  if (!weight_decay.is_null()) {
    if (!weight_decay.is_number()) fail(source, "'weight_decay' is not a number");
    options.weight_decay = weight_decay.get<float>();
  }
  options.clip_norm = number(recipe, "clip_norm", source);
  options.patience = static_cast<int>(integer(recipe, "patience", -1, 1'000'000, source));
  const json& schedule = member(recipe, "schedule", source);
  const std::string kind = text(schedule, "kind", source);
  const auto parsed_kind = parse_schedule_kind(kind);
  if (!parsed_kind) fail(source, fmt::format("unknown schedule {}", quote_value(kind)));
  options.schedule = Schedule(*parsed_kind);
  options.schedule.warmup_epochs = static_cast<int>(integer(schedule, "warmup_epochs", 0, 1'000'000, source));
  options.schedule.step_epochs = static_cast<int>(integer(schedule, "step_epochs", 0, 1'000'000, source));
  options.schedule.factor = number(schedule, "factor", source);
  options.schedule.final_fraction = number(schedule, "final_fraction", source);
  options.schedule.plateau_patience = static_cast<int>(integer(schedule, "plateau_patience", 0, 1'000'000, source));
  options.validation_fraction = number(recipe, "validation_fraction", source);
  if (recipe.contains("search_summary")) options.search_summary = text(recipe, "search_summary", source);
  // Checkpoints written before the search existed lack the key; resuming never searches anyway.
  if (recipe.contains("search")) {
    const std::string search = text(recipe, "search", source);
    const auto mode = parse_search_mode(search);
    if (!mode) fail(source, fmt::format("unknown search mode {}", quote_value(search)));
    options.search = *mode;
  }
  const std::string seed = text(recipe, "seed", source);
  try {
    std::size_t used = 0;
    options.seed = std::stoull(seed, &used);
    if (used != seed.size()) throw std::invalid_argument(seed);
  } catch (const std::exception&) {
    fail(source, fmt::format("'seed' {} is not an unsigned integer", quote_value(seed)));
  }
  options.threads = static_cast<int>(integer(recipe, "threads", 1, 1024, source));
  const json& diagnostics = member(recipe, "diagnostics", source);
  if (!diagnostics.is_boolean()) fail(source, "'diagnostics' is not true or false");
  options.diagnostics = diagnostics.get<bool>();
  return options;
}

// --- Training history ----------------------------------------------------------------------------

json metrics_to_json(const Metrics& metrics) {
  json out = json::object();
  if (metrics.rmse) out["rmse"] = finite_or_null(*metrics.rmse);
  if (metrics.mae) out["mae"] = finite_or_null(*metrics.mae);
  if (metrics.r2) out["r2"] = finite_or_null(*metrics.r2);
  if (metrics.accuracy) out["accuracy"] = finite_or_null(*metrics.accuracy);
  // Only several targets add the per-target values, so single-target checkpoints stay as they were.
  if (metrics.targets.size() > 1) {
    json targets = json::array();
    for (const TargetMetrics& column : metrics.targets) {
      targets.push_back({{"rmse", finite_or_null(column.rmse)}, {"mae", finite_or_null(column.mae)}, {"r2", finite_or_null(column.r2)}});
    }
    out["targets"] = targets;
  }
  return out;
}

Metrics metrics_from_json(const json& in, const std::string& source) {
  if (!in.is_object()) fail(source, "'validation_metrics' is not an object");
  Metrics metrics;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (in.contains("rmse")) metrics.rmse = number_or(in.at("rmse"), nan, source, "rmse");
  if (in.contains("mae")) metrics.mae = number_or(in.at("mae"), nan, source, "mae");
  if (in.contains("r2")) metrics.r2 = number_or(in.at("r2"), nan, source, "r2");
  if (in.contains("accuracy")) metrics.accuracy = number_or(in.at("accuracy"), nan, source, "accuracy");
  if (in.contains("targets")) {
    const json& targets = in.at("targets");
    if (!targets.is_array()) fail(source, "'validation_metrics' member 'targets' is not an array");
    for (const json& column : targets) {
      if (!column.is_object()) fail(source, "an entry of 'validation_metrics' member 'targets' is not an object");
      TargetMetrics target;
      target.rmse = number_or(member(column, "rmse", source), nan, source, "rmse");
      target.mae = number_or(member(column, "mae", source), nan, source, "mae");
      target.r2 = number_or(member(column, "r2", source), nan, source, "r2");
      metrics.targets.push_back(target);
    }
  }
  return metrics;
}

json history_to_json(const std::vector<EpochStats>& history) {
  json out = json::array();
  for (const EpochStats& stats : history) {
    json epoch;
    epoch["epoch"] = stats.epoch;
    epoch["train_loss"] = finite_or_null(stats.train_loss);
    epoch["validation_loss"] = finite_or_null(stats.validation_loss);
    epoch["validation_metrics"] = metrics_to_json(stats.validation_metrics);
    epoch["learning_rate"] = stats.learning_rate;
    epoch["seconds"] = stats.seconds;
    epoch["samples_per_second"] = stats.samples_per_second;
    epoch["gradient_norms"] = json::array();
    for (const double norm : stats.gradient_norms) epoch["gradient_norms"].push_back(finite_or_null(norm));
    out.push_back(epoch);
  }
  return out;
}

std::vector<double> doubles_from_json(const json& in, const std::string& source, const char* key) {
  if (!in.is_array()) fail(source, fmt::format("'{}' is not a list", key));
  std::vector<double> values;
  for (const json& value : in) values.push_back(number_or(value, std::numeric_limits<double>::quiet_NaN(), source, key));
  return values;
}

std::vector<EpochStats> history_from_json(const json& in, const std::string& source) {
  if (!in.is_array()) fail(source, "'history' is not a list");
  std::vector<EpochStats> history;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const json& epoch : in) {
    EpochStats stats;
    stats.epoch = static_cast<int>(integer(epoch, "epoch", 1, 1'000'000, source));
    if (stats.epoch != static_cast<int>(history.size()) + 1) fail(source, "the epochs in 'history' are not 1, 2, 3, ...");
    stats.train_loss = number_or(member(epoch, "train_loss", source), nan, source, "train_loss");
    stats.validation_loss = number_or(member(epoch, "validation_loss", source), nan, source, "validation_loss");
    stats.validation_metrics = metrics_from_json(member(epoch, "validation_metrics", source), source);
    stats.learning_rate = number(epoch, "learning_rate", source);
    stats.seconds = number(epoch, "seconds", source);
    stats.samples_per_second = number(epoch, "samples_per_second", source);
    stats.gradient_norms = doubles_from_json(member(epoch, "gradient_norms", source), source, "gradient_norms");
    history.push_back(std::move(stats));
  }
  return history;
}

// --- Tensors -------------------------------------------------------------------------------------

struct ExtraTensor {
  std::string name;
  std::string dtype;  // "F32", "I64" or "U64"
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::string bytes;
};

ExtraTensor float_tensor(std::string name, ConstMatrixView m) {
  ExtraTensor tensor{std::move(name), "F32", static_cast<std::uint64_t>(m.rows()), static_cast<std::uint64_t>(m.cols()), {}};
  for (Index r = 0; r < m.rows(); ++r) tensor.bytes.append(reinterpret_cast<const char*>(m.row(r)), sizeof(float) * m.cols());
  return tensor;
}

template <typename T>
ExtraTensor integer_tensor(std::string name, const char* dtype, const std::vector<T>& values) {
  ExtraTensor tensor{std::move(name), dtype, values.size(), 1, {}};
  tensor.bytes.assign(reinterpret_cast<const char*>(values.data()), sizeof(T) * values.size());
  return tensor;
}

// The extra tensors of a parsed file, by name, each checked to lie inside the data.
class ExtraTensors {
 public:
  ExtraTensors(std::map<std::string, ExtraTensor> tensors, std::string source)
      : tensors_(std::move(tensors)), source_(std::move(source)) {}

  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }

  const ExtraTensor& take(const std::string& name, const char* dtype) {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) fail(source_, fmt::format("tensor '{}' is missing", name));
    if (found->second.dtype != dtype) fail(source_, fmt::format("tensor '{}' is not {}", name, dtype));
    used_.push_back(name);
    return found->second;
  }

  Matrix take_matrix(const std::string& name, Index rows, Index cols) {
    const ExtraTensor& tensor = take(name, "F32");
    if (tensor.rows != static_cast<std::uint64_t>(rows) || tensor.cols != static_cast<std::uint64_t>(cols)) {
      fail(source_, fmt::format("tensor '{}' has shape [{}, {}] where [{}, {}] is expected", name, tensor.rows, tensor.cols, rows, cols));
    }
    Matrix m = Matrix::zeros(rows, cols);
    std::memcpy(m.data(), tensor.bytes.data(), tensor.bytes.size());
    return m;
  }

  // The matrices `<prefix>0`, `<prefix>1`, ... shaped like `shapes`, or none when `<prefix>0` is absent.
  // Takes one matrix per entry of `shapes` (Network::state_views(), as in TrainState::best_weights).
  std::vector<Matrix> take_weights(const std::string& prefix, const std::vector<MatrixView>& shapes) {
    std::vector<Matrix> values;
    if (!contains(prefix + "0")) return values;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      values.push_back(take_matrix(prefix + std::to_string(i), shapes[i].rows(), shapes[i].cols()));
      for (Index k = 0; k < values.back().size(); ++k) {
        if (!std::isfinite(values.back().data()[k])) fail(source_, fmt::format("tensor '{}{}' holds a NaN or infinite value", prefix, i));
      }
    }
    return values;
  }

  void check_all_used() const {
    for (const auto& [name, tensor] : tensors_) {
      if (std::find(used_.begin(), used_.end(), name) == used_.end()) fail(source_, fmt::format("unexpected tensor '{}'", name));
    }
  }

 private:
  std::map<std::string, ExtraTensor> tensors_;
  std::vector<std::string> used_;
  std::string source_;
};

// The optimizer state must match what the optimizer's set_state() expects for these parameters,
// because set_state() only asserts its shapes.
void check_optimizer_state(const std::string& optimizer, const std::vector<Matrix>& state, const std::vector<Parameter>& parameters,
                           const std::string& source) {
  auto matches_parameters = [&](std::size_t first) {
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const Matrix& m = state[first + i];
      if (m.rows() != parameters[i].value.rows() || m.cols() != parameters[i].value.cols()) return false;
    }
    return true;
  };
  const std::size_t p = parameters.size();
  bool valid = false;
  if (optimizer == "sgd" || optimizer == "nesterov" || optimizer == "rmsprop") {
    // One matrix per parameter (velocity or mean square), none before the first step.
    valid = state.empty() || (state.size() == p && matches_parameters(0));
  } else if (optimizer == "adam" || optimizer == "adamw") {
    // First and second moments per parameter and the step count, or the count alone before the first step.
    valid = (state.size() == 1 || (state.size() == 2 * p + 1 && matches_parameters(0) && matches_parameters(p))) &&
            state.back().rows() == 1 && state.back().cols() == 2;
    if (valid) {
      // The step count as two exact 24-bit halves (Adam::state()).
      for (const float half : {state.back()(0, 0), state.back()(0, 1)}) {
        valid = valid && half >= 0.0f && half < 16'777'216.0f && half == std::floor(half);
      }
    }
  } else {
    fail(source, fmt::format("unknown optimizer {}", quote_value(optimizer)));
  }
  if (!valid) fail(source, fmt::format("the {} optimizer state does not match the network's parameters", optimizer));
}

}  // namespace

DataFingerprint fingerprint_of(const Dataset& data) {
  DataFingerprint print;
  print.rows = data.rows();
  print.inputs = data.inputs.cols();
  print.targets = data.targets.cols();
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&hash](ConstMatrixView m) {
    for (Index r = 0; r < m.rows(); ++r) {
      const auto* bytes = reinterpret_cast<const unsigned char*>(m.row(r));
      for (std::size_t i = 0; i < sizeof(float) * static_cast<std::size_t>(m.cols()); ++i) {
        hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
      }
    }
  };
  add(data.inputs);
  add(data.targets);
  print.checksum = hash;
  return print;
}

std::string serialize_checkpoint(const Checkpoint& checkpoint) {
  // Start from the model file and append the checkpoint's tensors after the model's data.
  const std::string model_bytes = serialize_model(checkpoint.model);
  std::uint64_t model_header_length = 0;
  std::memcpy(&model_header_length, model_bytes.data(), sizeof(model_header_length));
  json header = json::parse(model_bytes.substr(8, model_header_length));
  std::string data = model_bytes.substr(8 + model_header_length);

  const TrainState& state = checkpoint.state;
  std::vector<ExtraTensor> extras;
  for (std::size_t i = 0; i < checkpoint.optimizer_state.size(); ++i) {
    extras.push_back(float_tensor(fmt::format("{}optimizer.{}", kPrefix, i), checkpoint.optimizer_state[i]));
  }
  for (std::size_t i = 0; i < state.best_weights.size(); ++i) {
    extras.push_back(float_tensor(fmt::format("{}best.{}", kPrefix, i), state.best_weights[i]));
  }
  for (std::size_t i = 0; i < state.last_good_weights.size(); ++i) {
    extras.push_back(float_tensor(fmt::format("{}last_good.{}", kPrefix, i), state.last_good_weights[i]));
  }
  extras.push_back(integer_tensor(std::string(kPrefix) + "order", "I64", state.order));
  const std::vector<std::uint64_t> rng(std::begin(state.shuffle_rng.s), std::end(state.shuffle_rng.s));
  extras.push_back(integer_tensor(std::string(kPrefix) + "shuffle_rng", "U64", rng));
  Network network = checkpoint.model.network;  // generators() needs a mutable network
  const std::vector<Rng*> generators = network.generators();
  for (std::size_t k = 0; k < generators.size(); ++k) {
    const Rng::State generator_state = generators[k]->state();
    const std::vector<std::uint64_t> words(std::begin(generator_state.s), std::end(generator_state.s));
    extras.push_back(integer_tensor(fmt::format("{}generator.{}", kPrefix, k), "U64", words));
  }

  for (const ExtraTensor& tensor : extras) {
    const std::uint64_t begin = data.size();
    header[tensor.name] = {{"dtype", tensor.dtype}, {"shape", {tensor.rows, tensor.cols}}, {"data_offsets", {begin, begin + tensor.bytes.size()}}};
    data += tensor.bytes;
  }

  json description;
  description["checkpoint_version"] = kCheckpointFormatVersion;
  description["recipe"] = recipe_to_json(checkpoint.options);
  description["data"] = {{"rows", checkpoint.data.rows},
                         {"inputs", checkpoint.data.inputs},
                         {"targets", checkpoint.data.targets},
                         {"checksum", fmt::format("{:016x}", checkpoint.data.checksum)}};
  description["optimizer"] = checkpoint.optimizer;
  description["epoch"] = state.epoch;
  description["batch"] = state.batch;
  description["loss_sum"] = finite_or_null(state.loss_sum);
  description["rows_seen"] = state.rows_seen;
  description["gradient_norm_sums"] = json::array();
  for (const double sum : state.gradient_norm_sums) description["gradient_norm_sums"].push_back(finite_or_null(sum));
  description["history"] = history_to_json(state.history);
  description["best_loss"] = finite_or_null(state.best_loss);
  description["best_epoch"] = state.best_epoch;
  description["application"] = checkpoint.application;
  header["__metadata__"]["checkpoint"] = description.dump();

  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string bytes;
  bytes.reserve(8 + header_text.size() + data.size());
  const std::uint64_t length = header_text.size();
  bytes.append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes += header_text;
  bytes += data;
  return bytes;
}

Checkpoint deserialize_checkpoint(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8) fail(source, fmt::format("it has {} bytes, fewer than the 8-byte header length", bytes.size()));
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), sizeof(header_length));
  if (header_length > kMaxHeaderBytes || header_length > bytes.size() - 8) {
    fail(source, fmt::format("the header length field says {} bytes but the file has {} bytes after it (truncated file?)",
                             header_length, bytes.size() - 8));
  }
  json header = json::parse(bytes.substr(8, header_length), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) fail(source, "the header is not a JSON object");
  const std::string_view data = bytes.substr(8 + header_length);
  json& metadata = header["__metadata__"];
  if (!metadata.is_object() || !metadata.contains("checkpoint") || !metadata.at("checkpoint").is_string()) {
    fail(source, "it has no 'checkpoint' metadata (a model file is not a checkpoint)");
  }
  const json description = json::parse(metadata.at("checkpoint").get<std::string>(), nullptr, false);
  if (description.is_discarded() || !description.is_object()) fail(source, "the 'checkpoint' metadata is not a JSON object");
  const std::int64_t version = integer(description, "checkpoint_version", 1, std::numeric_limits<std::int32_t>::max(), source);
  if (version > kCheckpointFormatVersion) {
    throw Error(Location{source},
                fmt::format("the checkpoint was written in checkpoint format version {}, newer than this build reads ({})", version,
                            kCheckpointFormatVersion),
                "resume it with the protean version that wrote it");
  }

  // Split the header: "checkpoint.*" tensors are ours, everything else is the model's, which
  // deserialize_model() checks. The model's data must come first and ours must fill the rest.
  std::map<std::string, ExtraTensor> extras;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end();) {
    if (it.key().rfind(kPrefix, 0) != 0) {
      ++it;
      continue;
    }
    const std::string& name = it.key();
    const json& entry = it.value();
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets")) {
      fail(source, fmt::format("tensor '{}' lacks its dtype, shape or data_offsets", name));
    }
    const json& dtype = entry.at("dtype");
    const json& shape = entry.at("shape");
    const json& offsets = entry.at("data_offsets");
    if (!dtype.is_string() || (dtype != "F32" && dtype != "I64" && dtype != "U64")) fail(source, fmt::format("tensor '{}' has an unsupported dtype", name));
    if (!shape.is_array() || shape.size() != 2 || !shape[0].is_number_unsigned() || !shape[1].is_number_unsigned() ||
        !offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      fail(source, fmt::format("tensor '{}' has an invalid shape or data_offsets", name));
    }
    ExtraTensor tensor{name, dtype.get<std::string>(), shape[0].get<std::uint64_t>(), shape[1].get<std::uint64_t>(), {}};
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    const std::uint64_t element = tensor.dtype == "F32" ? 4 : 8;
    // Bounding both sides by the data size first keeps rows × cols × element from overflowing.
    if (begin > end || end > data.size() || tensor.rows > data.size() || tensor.cols > data.size() ||
        (tensor.rows > 0 && tensor.cols > data.size() / tensor.rows) || tensor.rows * tensor.cols * element != end - begin) {
      fail(source, fmt::format("tensor '{}' data [{}, {}) does not fit its shape or the {} data bytes present (truncated file?)",
                               name, begin, end, data.size()));
    }
    tensor.bytes.assign(data.substr(begin, end - begin));
    ranges.emplace_back(begin, end);
    extras.emplace(name, std::move(tensor));
    it = header.erase(it);
  }
  std::sort(ranges.begin(), ranges.end());
  const std::uint64_t model_end = ranges.empty() ? data.size() : ranges.front().first;
  std::uint64_t next = model_end;
  for (const auto& [begin, end] : ranges) {
    if (begin != next) fail(source, "the checkpoint tensors overlap or leave gaps in the data");
    next = end;
  }
  if (next != data.size()) fail(source, fmt::format("{} data bytes follow the header but the tensors use {}", data.size(), next));

  metadata.erase("checkpoint");
  std::string model_header = header.dump();
  std::string model_bytes;
  const std::uint64_t model_header_length = model_header.size();
  model_bytes.append(reinterpret_cast<const char*>(&model_header_length), sizeof(model_header_length));
  model_bytes += model_header;
  model_bytes.append(data.substr(0, model_end));

  Checkpoint checkpoint;
  checkpoint.model = deserialize_model(model_bytes, source);
  checkpoint.options = recipe_from_json(member(description, "recipe", source), source);
  const json& data_print = member(description, "data", source);
  checkpoint.data.rows = integer(data_print, "rows", 1, std::numeric_limits<std::int64_t>::max(), source);
  checkpoint.data.inputs = integer(data_print, "inputs", 1, std::numeric_limits<std::int64_t>::max(), source);
  checkpoint.data.targets = integer(data_print, "targets", 1, std::numeric_limits<std::int64_t>::max(), source);
  const std::string checksum = text(data_print, "checksum", source);
  try {
    std::size_t used = 0;
    checkpoint.data.checksum = std::stoull(checksum, &used, 16);
    if (used != checksum.size()) throw std::invalid_argument(checksum);
  } catch (const std::exception&) {
    fail(source, fmt::format("the data checksum {} is not hexadecimal", quote_value(checksum)));
  }
  checkpoint.optimizer = text(description, "optimizer", source);
  if (checkpoint.optimizer != checkpoint.options.optimizer) fail(source, "'optimizer' differs from the recipe's optimizer");
  checkpoint.application = text(description, "application", source);

  // The training state, checked against the model it belongs to.
  ExtraTensors tensors(std::move(extras), source);
  const std::vector<Parameter> parameters = checkpoint.model.network.parameters();
  TrainState& state = checkpoint.state;
  state.epoch = static_cast<int>(integer(description, "epoch", 0, checkpoint.options.epochs, source));
  state.history = history_from_json(member(description, "history", source), source);
  if (static_cast<int>(state.history.size()) != state.epoch) fail(source, "'history' does not have one entry per finished epoch");
  state.loss_sum = number_or(member(description, "loss_sum", source), std::numeric_limits<double>::quiet_NaN(), source, "loss_sum");
  state.gradient_norm_sums = doubles_from_json(member(description, "gradient_norm_sums", source), source, "gradient_norm_sums");
  state.best_loss = number_or(member(description, "best_loss", source), std::numeric_limits<double>::infinity(), source, "best_loss");
  state.best_epoch = static_cast<int>(integer(description, "best_epoch", 0, state.epoch, source));

  for (std::size_t i = 0; tensors.contains(fmt::format("{}optimizer.{}", kPrefix, i)); ++i) {
    const ExtraTensor& tensor = tensors.take(fmt::format("{}optimizer.{}", kPrefix, i), "F32");
    Matrix m = Matrix::zeros(static_cast<Index>(tensor.rows), static_cast<Index>(tensor.cols));
    std::memcpy(m.data(), tensor.bytes.data(), tensor.bytes.size());
    checkpoint.optimizer_state.push_back(std::move(m));
  }
  check_optimizer_state(checkpoint.optimizer, checkpoint.optimizer_state, parameters, source);
  const std::vector<MatrixView> snapshot_shapes = checkpoint.model.network.state_views();
  state.best_weights = tensors.take_weights(fmt::format("{}best.", kPrefix), snapshot_shapes);
  state.last_good_weights = tensors.take_weights(fmt::format("{}last_good.", kPrefix), snapshot_shapes);
  if (state.best_weights.empty() != (state.best_epoch == 0)) fail(source, "'best_epoch' and the best weights disagree");

  // The row order must be a permutation of the training rows.
  const ExtraTensor& order = tensors.take(std::string(kPrefix) + "order", "I64");
  if (order.cols != 1 || order.rows > static_cast<std::uint64_t>(checkpoint.data.rows)) fail(source, "tensor 'checkpoint.order' has an invalid shape");
  state.order.resize(order.rows);
  std::memcpy(state.order.data(), order.bytes.data(), order.bytes.size());
  std::vector<bool> seen(state.order.size(), false);
  for (const Index row : state.order) {
    if (row < 0 || static_cast<std::uint64_t>(row) >= seen.size() || seen[static_cast<std::size_t>(row)]) {
      fail(source, "tensor 'checkpoint.order' is not a permutation of the training rows");
    }
    seen[static_cast<std::size_t>(row)] = true;
  }
  // Bounded by the row count just checked, so the batch position cannot point past the data.
  state.batch = integer(description, "batch", 0, static_cast<std::int64_t>(state.order.size()), source);
  state.rows_seen = integer(description, "rows_seen", 0, static_cast<std::int64_t>(state.order.size()), source);

  const ExtraTensor& rng = tensors.take(std::string(kPrefix) + "shuffle_rng", "U64");
  if (rng.rows != 4 || rng.cols != 1) fail(source, "tensor 'checkpoint.shuffle_rng' is not 4×1");
  std::memcpy(state.shuffle_rng.s, rng.bytes.data(), sizeof(state.shuffle_rng.s));
  if ((state.shuffle_rng.s[0] | state.shuffle_rng.s[1] | state.shuffle_rng.s[2] | state.shuffle_rng.s[3]) == 0) {
    fail(source, "the shuffle generator's state is all zeros, which xoshiro256** never reaches");
  }
  // Checkpoints written before the layers' generators were stored lack these tensors; such a
  // run resumes with the generators as initialize() left them.
  const std::vector<Rng*> generators = checkpoint.model.network.generators();
  for (std::size_t k = 0; k < generators.size(); ++k) {
    const std::string name = fmt::format("{}generator.{}", kPrefix, k);
    if (!tensors.contains(name)) continue;
    const ExtraTensor& words = tensors.take(name, "U64");
    if (words.rows != 4 || words.cols != 1) fail(source, fmt::format("tensor '{}' is not 4×1", name));
    Rng::State generator_state{};
    std::memcpy(generator_state.s, words.bytes.data(), sizeof(generator_state.s));
    if ((generator_state.s[0] | generator_state.s[1] | generator_state.s[2] | generator_state.s[3]) == 0) {
      fail(source, fmt::format("tensor '{}' is all zeros, which xoshiro256** never reaches", name));
    }
    generators[k]->set_state(generator_state);
  }
  tensors.check_all_used();
  return checkpoint;
}

void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path) {
  write_file_atomically(path, serialize_checkpoint(checkpoint));
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw Error(Location{path.string()}, "the checkpoint path is a folder", "give a checkpoint file written by 'protean fit'");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Location{path.string()}, std::filesystem::exists(path) ? "cannot read the checkpoint file" : "checkpoint file not found",
                "check the path; 'protean fit' names checkpoints <model>-checkpoint-epoch-NNNNNN.safetensors, the epoch in six "
                "digits");
  }
  std::ostringstream content;
  content << in.rdbuf();
  const std::string bytes = content.str();
  if (starts_with_text(bytes)) {
    throw Error(Location{path.string()}, "this is a text file, not a checkpoint",
                "give a checkpoint file that 'protean fit' wrote, named <model>-checkpoint-epoch-NNNNNN.safetensors");
  }
  return deserialize_checkpoint(bytes, path.string());
}

}  // namespace protean
