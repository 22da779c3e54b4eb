#include "protean/io/model_file.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "architecture_json.hpp"
#include "io/file_kind.hpp"
#include "protean/architecture.hpp"
#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/losses/loss.hpp"

namespace protean {

// Tensor data is copied to and from memory as it lies, which is the file's little-endian order
// only on little-endian machines.
static_assert(std::endian::native == std::endian::little, "model files are read and written on little-endian hosts only");

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxHeaderBytes = 64ull << 20;  // far above any real header (a few KB)
constexpr std::int64_t kMaxWidth = 1ll << 24;
constexpr std::size_t kMaxLayers = 100'000;

struct NamedTensor {
  std::string name;
  ConstMatrixView view;
};

std::vector<NamedTensor> tensors_of(const Model& model) {
  std::vector<NamedTensor> tensors;
  // parameters() and buffers() hand out writable views, but only to be read here.
  auto& network = const_cast<Network&>(model.network);
  for (const auto& parameter : network.parameters()) tensors.push_back({"network." + parameter.name, parameter.value});
  for (const auto& buffer : network.buffers()) tensors.push_back({"network." + buffer.name, buffer.value});
  if (model.input_scaler.fitted()) {
    tensors.push_back({"input_scaler.mean", model.input_scaler.mean()});
    tensors.push_back({"input_scaler.scale", model.input_scaler.scale()});
  }
  if (model.target_scaler.fitted()) {
    tensors.push_back({"target_scaler.mean", model.target_scaler.mean()});
    tensors.push_back({"target_scaler.scale", model.target_scaler.scale()});
  }
  return tensors;
}

json describe_model(const Model& model) {
  json layers = json::array();
  for (const auto& config : model.network.layer_configs()) layers.push_back(layer_config_to_json(config));
  json description;
  description["task"] = to_string(model.task);
  description["inputs"] = model.network.input_width();
  description["layers"] = layers;
  description["loss"] = model.loss;
  description["input_names"] = model.input_names;
  // Written only when some column is categorical, so that a model of numeric columns keeps the
  // layout older readers load.
  if (model.input_encoding.has_categorical()) {
    json columns = json::array();
    for (const InputColumn& column : model.input_encoding.columns()) {
      json entry = {{"name", column.name}};
      if (column.is_categorical()) entry["categories"] = column.categories;
      columns.push_back(entry);
    }
    description["input_columns"] = columns;
  }
  description["target_names"] = model.target_names;
  description["class_names"] = model.class_names;
  description["training"] = model.training_summary.empty() ? json::object() : json::parse(model.training_summary);
  return description;
}

// Version 1 files hold dense layers with the first seven activations only. A model that fits
// in that layout is still written as version 1, so older readers load it.
bool fits_version_1(const Network& network) {
  for (const auto& config : network.layer_configs()) {
    if (config.kind != LayerKind::dense || static_cast<int>(config.activation) > static_cast<int>(Activation::softplus)) return false;
  }
  return true;
}

// The oldest format version that can hold the model, so that older readers load what they can.
int format_version_of(const Model& model) {
  if (model.input_encoding.has_categorical()) return 3;
  return fits_version_1(model.network) ? 1 : 2;
}

// Checked parsing of the header: every failure becomes an Error naming the file.
class HeaderReader {
 public:
  explicit HeaderReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(Location{source_}, "invalid model file: " + what,
                "the file is damaged or not a Protean model; save the model again with 'protean fit'");
  }

  const json& member(const json& object, const char* key) const {
    if (!object.is_object() || !object.contains(key)) fail(fmt::format("'{}' is missing", key));
    return object.at(key);
  }
  std::string string_member(const json& object, const char* key) const {
    const json& value = member(object, key);
    if (!value.is_string()) fail(fmt::format("'{}' is not a string", key));
    return value.get<std::string>();
  }
  std::int64_t integer_member(const json& object, const char* key, std::int64_t low, std::int64_t high) const {
    const json& value = member(object, key);
    if (!value.is_number_integer()) fail(fmt::format("'{}' is not an integer", key));
    const auto number = value.get<std::int64_t>();
    if (number < low || number > high) fail(fmt::format("'{}' is {}, outside [{}, {}]", key, number, low, high));
    return number;
  }
  std::vector<std::string> names_member(const json& object, const char* key, std::size_t expected) const {
    const json& value = member(object, key);
    if (!value.is_array()) fail(fmt::format("'{}' is not a list", key));
    std::vector<std::string> names;
    for (const json& item : value) {
      if (!item.is_string()) fail(fmt::format("'{}' holds a value that is not a string", key));
      names.push_back(item.get<std::string>());
    }
    if (names.size() != expected) {
      fail(fmt::format("'{}' has {} names where the network needs {}", key, names.size(), expected));
    }
    return names;
  }

 private:
  std::string source_;
};

// Reads "input_columns" (format version 3), or takes every input as a numeric column of its own
// when it is absent, as in older files. The columns must encode to exactly `input_names`.
InputEncoding read_input_encoding(const HeaderReader& reader, const json& description, int version,
                                  const std::vector<std::string>& input_names) {
  if (!description.contains("input_columns")) return InputEncoding::numeric(input_names);
  if (version < 3) reader.fail(fmt::format("'input_columns' appears in format version {}, which does not have it", version));
  const json& entries = description.at("input_columns");
  if (!entries.is_array() || entries.empty() || entries.size() > input_names.size()) {
    reader.fail(fmt::format("'input_columns' is not a list of 1 to {} columns", input_names.size()));
  }
  std::vector<InputColumn> columns;
  for (const json& entry : entries) {
    InputColumn column;
    column.name = reader.string_member(entry, "name");
    if (entry.contains("categories")) {
      const json& categories = entry.at("categories");
      if (!categories.is_array() || categories.empty() || categories.size() > input_names.size()) {
        reader.fail(fmt::format("the categories of input column '{}' are not a list of 1 to {} names", column.name,
                                input_names.size()));
      }
      for (const json& category : categories) {
        if (!category.is_string()) reader.fail(fmt::format("a category of input column '{}' is not a string", column.name));
        column.categories.push_back(category.get<std::string>());
      }
    }
    columns.push_back(std::move(column));
  }
  InputEncoding encoding;
  try {
    encoding = InputEncoding(std::move(columns));
  } catch (const Error& e) {
    reader.fail(e.problem());
  }
  if (encoding.input_names() != input_names) {
    reader.fail(fmt::format("'input_columns' encode {} inputs that differ from the {} 'input_names'", encoding.width(),
                            input_names.size()));
  }
  return encoding;
}

}  // namespace

namespace {

std::string serialize_unchecked(const Model& model) {
  const std::vector<NamedTensor> tensors = tensors_of(model);
  json header = json::object();
  std::uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    const std::uint64_t bytes = sizeof(float) * static_cast<std::uint64_t>(tensor.view.size());
    header[tensor.name] = {{"dtype", "F32"}, {"shape", {tensor.view.rows(), tensor.view.cols()}}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = {{"format", "protean"},
                            {"format_version", std::to_string(format_version_of(model))},
                            {"protean_version", PROTEAN_VERSION},
                            {"model", describe_model(model).dump()}};
  std::string header_text = header.dump();
  // Pad with spaces so the tensor data starts 8-byte aligned, as the safetensors writers do.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  std::string bytes;
  bytes.reserve(8 + header_text.size() + offset);
  const std::uint64_t length = header_text.size();
  bytes.append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes += header_text;
  for (const auto& tensor : tensors) {
    for (Index r = 0; r < tensor.view.rows(); ++r) {
      bytes.append(reinterpret_cast<const char*>(tensor.view.row(r)), sizeof(float) * tensor.view.cols());
    }
  }
  return bytes;
}

// Serializes and then reads the bytes back, so that a model load_model() would reject (no loss,
// missing names, NaN weights) is an Error now and never becomes a file that cannot be loaded.
std::string serialize_checked(const Model& model, const std::string& destination) {
  std::string bytes = serialize_unchecked(model);
  try {
    deserialize_model(bytes, destination);
  } catch (const Error& e) {
    std::string problem = e.problem();
    const std::string prefix = "invalid model file: ";
    if (problem.starts_with(prefix)) problem.erase(0, prefix.size());
    throw Error(Location{destination}, "cannot save the model, because its file would be invalid: " + problem,
                "set Model::loss, one input name per input and one target name per output, and keep the weights "
                "finite, as fit() does");
  }
  return bytes;
}

}  // namespace

std::string serialize_model(const Model& model) { return serialize_checked(model, ""); }

Model deserialize_model(std::string_view bytes, const std::string& source) {
  HeaderReader reader(source);
  if (bytes.size() < 8) {
    reader.fail(fmt::format("it has {} bytes, fewer than the 8-byte header length that starts every model file", bytes.size()));
  }
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), sizeof(header_length));
  if (header_length > kMaxHeaderBytes || header_length > bytes.size() - 8) {
    reader.fail(fmt::format("the header length field says {} bytes but the file has {} bytes after it (truncated file?)",
                            header_length, bytes.size() - 8));
  }
  const json header = json::parse(bytes.substr(8, header_length), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) reader.fail("the header is not a JSON object");
  const std::string_view data = bytes.substr(8 + header_length);

  // Metadata and version.
  const json& metadata = reader.member(header, "__metadata__");
  if (reader.string_member(metadata, "format") != "protean") reader.fail("its metadata 'format' is not 'protean'");
  // load_checkpoint() removes this entry before it reads the model part.
  if (metadata.contains("checkpoint")) {
    throw Error(Location{source}, "this is a training checkpoint, not a model file",
                fmt::format("continue the run with 'protean fit --resume {}', which saves the model when training ends",
                            source));
  }
  const std::string version_text = reader.string_member(metadata, "format_version");
  int version = 0;
  try {
    version = std::stoi(version_text);
  } catch (const std::exception&) {
    reader.fail(fmt::format("format_version {} is not a number", quote_value(version_text)));
  }
  if (version > kModelFormatVersion) {
    throw Error(Location{source},
                fmt::format("the model was written in format version {} (Protean {}), newer than this build reads ({})",
                            version, metadata.value("protean_version", "unknown"), kModelFormatVersion),
                "upgrade protean to load it");
  }
  if (version < 1) reader.fail(fmt::format("format_version {} is not a released version", version));
  const json description = json::parse(reader.string_member(metadata, "model"), nullptr, false);
  if (description.is_discarded() || !description.is_object()) reader.fail("the 'model' metadata is not a JSON object");

  Model model;
  const std::string task = reader.string_member(description, "task");
  if (task == "regression") {
    model.task = Task::regression;
  } else if (task == "classification") {
    model.task = Task::classification;
  } else {
    reader.fail(fmt::format("unknown task {}", quote_value(task)));
  }
  model.loss = reader.string_member(description, "loss");
  if (make_loss(model.loss) == nullptr) reader.fail(fmt::format("unknown loss {}", quote_value(model.loss)));

  // Architecture, checked before anything is allocated: every width is bounded, and every
  // tensor must lie inside the data actually present in the file.
  const Index inputs = reader.integer_member(description, "inputs", 1, kMaxWidth);
  const json& layers = reader.member(description, "layers");
  if (!layers.is_array() || layers.empty() || layers.size() > kMaxLayers) reader.fail("'layers' is not a list of 1 to 100000 layers");
  std::vector<LayerConfig> configs;
  for (const json& layer : layers) {
    try {
      configs.push_back(layer_config_from_json(layer));
    } catch (const Error& e) {
      reader.fail(fmt::format("layer {}: {}", configs.size(), e.problem()));
    }
    const LayerConfig& config = configs.back();
    if (version < 2 && (config.kind != LayerKind::dense || static_cast<int>(config.activation) > static_cast<int>(Activation::softplus))) {
      reader.fail(fmt::format("layer {} is a {} layer with activation {}, which format version 1 does not have", configs.size() - 1,
                              to_string(config.kind), to_string(config.activation)));
    }
  }

  std::map<std::string, ConstMatrixView> views;
  std::uint64_t covered = 0;
  auto take_tensor = [&](const std::string& name, Index rows, Index cols) {
    const json& entry = reader.member(header, name.c_str());
    if (reader.string_member(entry, "dtype") != "F32") reader.fail(fmt::format("tensor '{}' is not F32", name));
    const json& shape = reader.member(entry, "shape");
    if (!shape.is_array() || shape.size() != 2 || !shape[0].is_number_unsigned() || !shape[1].is_number_unsigned() ||
        shape[0].get<std::uint64_t>() != static_cast<std::uint64_t>(rows) || shape[1].get<std::uint64_t>() != static_cast<std::uint64_t>(cols)) {
      reader.fail(fmt::format("tensor '{}' has shape {} where the architecture needs [{}, {}]", name, shape.dump(), rows, cols));
    }
    const json& offsets = reader.member(entry, "data_offsets");
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      reader.fail(fmt::format("tensor '{}' has invalid data_offsets", name));
    }
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    const std::uint64_t expected = sizeof(float) * static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols);
    if (begin > end || end > data.size() || end - begin != expected || begin % sizeof(float) != 0) {
      reader.fail(fmt::format("tensor '{}' data [{}, {}) does not fit its shape or the {} data bytes present (truncated file?)",
                              name, begin, end, data.size()));
    }
    covered += expected;
    views[name] = ConstMatrixView(reinterpret_cast<const float*>(data.data() + begin), rows, cols);
  };

  Index width = inputs;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    try {
      check_layer_config(configs[i], width);
    } catch (const Error& e) {
      reader.fail(fmt::format("layer {}: {}", i, e.problem()));
    }
    for (const TensorShape& shape : layer_tensor_shapes(configs[i], width)) {
      take_tensor(fmt::format("network.{}.{}", i, shape.name), shape.rows, shape.cols);
    }
    width = layer_output_width(configs[i], width);
  }
  // The standardizers are optional (a model built in C++ may have none), but each one comes
  // with both of its tensors.
  const bool input_scaled = header.contains("input_scaler.mean") || header.contains("input_scaler.scale");
  const bool target_scaled = header.contains("target_scaler.mean") || header.contains("target_scaler.scale");
  if (target_scaled && model.task != Task::regression) reader.fail("a classification model has target standardization");
  if (input_scaled) {
    take_tensor("input_scaler.mean", 1, inputs);
    take_tensor("input_scaler.scale", 1, inputs);
  }
  if (target_scaled) {
    take_tensor("target_scaler.mean", 1, width);
    take_tensor("target_scaler.scale", 1, width);
  }
  if (header.size() != views.size() + 1) reader.fail("the header lists tensors that this model does not use");
  if (covered != data.size()) reader.fail(fmt::format("{} data bytes follow the header but the tensors use {}", data.size(), covered));

  model.input_names = reader.names_member(description, "input_names", static_cast<std::size_t>(inputs));
  model.target_names = reader.names_member(description, "target_names", model.task == Task::regression ? static_cast<std::size_t>(width) : 1);
  // A two-class model trained with binary cross-entropy has one output unit for two classes.
  const Index classes = model.loss == "bce" && width == 1 ? 2 : width;
  model.class_names = reader.names_member(description, "class_names", model.task == Task::classification ? static_cast<std::size_t>(classes) : 0);
  model.input_encoding = read_input_encoding(reader, description, version, model.input_names);
  if (description.contains("training")) model.training_summary = description.at("training").dump();

  // The data may start at any byte offset of `bytes`, so copy through memcpy, never via an
  // aligned float pointer.
  auto copy_tensor = [&](const std::string& name) {
    const ConstMatrixView view = views.at(name);
    Matrix out = Matrix::zeros(view.rows(), view.cols());
    std::memcpy(out.data(), view.data(), sizeof(float) * static_cast<std::size_t>(view.size()));
    for (Index i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out.data()[i])) reader.fail(fmt::format("tensor '{}' holds a NaN or infinite value", name));
    }
    return out;
  };
  model.network = Network(inputs);
  model.network.add(configs);
  for (const auto& parameter : model.network.parameters()) parameter.value.copy_from(copy_tensor("network." + parameter.name));
  for (const auto& buffer : model.network.buffers()) {
    buffer.value.copy_from(copy_tensor("network." + buffer.name));
    const bool variance = buffer.name.ends_with(".running_var");
    for (Index r = 0; variance && r < buffer.value.rows(); ++r) {
      for (Index c = 0; c < buffer.value.cols(); ++c) {
        if (buffer.value(r, c) < 0.0f) reader.fail(fmt::format("tensor 'network.{}' holds a negative variance", buffer.name));
      }
    }
  }
  auto copy_scaler = [&](const std::string& prefix) {
    Matrix scale = copy_tensor(prefix + ".scale");
    for (Index i = 0; i < scale.size(); ++i) {
      if (!(scale.data()[i] > 0.0f)) reader.fail(fmt::format("tensor '{}.scale' holds a scale that is not positive", prefix));
    }
    return Standardizer(copy_tensor(prefix + ".mean"), std::move(scale));
  };
  if (input_scaled) model.input_scaler = copy_scaler("input_scaler");
  if (target_scaled) model.target_scaler = copy_scaler("target_scaler");
  return model;
}

void save_model(const Model& model, const std::filesystem::path& path) {
  write_file_atomically(path, serialize_checked(model, path.string()));
}

Model load_model(const std::filesystem::path& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw Error(Location{path.string()}, "the model path is a folder", "give the model file written by 'protean fit'");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Location{path.string()}, std::filesystem::exists(path) ? "cannot read the model file" : "model file not found",
                "check the path; 'protean fit' writes model.safetensors by default");
  }
  std::ostringstream content;
  content << in.rdbuf();
  const std::string bytes = content.str();
  // The arguments were most likely swapped, or a CSV file was given as the model.
  if (starts_with_text(bytes)) {
    throw Error(Location{path.string()}, "this is a text file, not a model file",
                "give the model file written by 'protean fit'; commands that also read data take the model first, "
                "e.g. 'protean predict model.safetensors data.csv'");
  }
  return deserialize_model(bytes, path.string());
}

}  // namespace protean
