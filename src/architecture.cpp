#include "protean/architecture.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "architecture_json.hpp"
#include "protean/error.hpp"
#include "protean/layers/batch_norm.hpp"
#include "protean/layers/dense.hpp"
#include "protean/layers/dropout.hpp"
#include "protean/layers/fourier_features.hpp"
#include "protean/layers/layer_norm.hpp"
#include "protean/layers/residual.hpp"

namespace protean {

namespace {

using nlohmann::json;

constexpr std::string_view kLayerChoices = "a layer: a width such as '64 relu', 'res(64 relu)', 'bn', 'ln', 'dropout:RATE' or 'fourier:K'";
constexpr std::string_view kFix = "write layers as in '128 relu, res(128 relu)x3, bn, dropout:0.1, 1'; docs/architecture-text.md gives the grammar";

bool is_word_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_number_char(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; }

// A float printed in its shortest form that reads back as the same float, e.g. 0.1 for 0.1f.
std::string shortest(float value) { return fmt::format("{}", value); }
double as_json_number(float value) { return std::stod(shortest(value)); }

// Recursive-descent parser of the text form, with the position of every error.
class TextParser {
 public:
  explicit TextParser(std::string_view text) : text_(text) {}

  std::vector<LayerConfig> parse() {
    std::vector<LayerConfig> layers;
    while (true) {
      parse_item(layers);
      skip_spaces();
      if (at_end()) break;
      if (text_[pos_] != ',') fail(pos_, "',' between layers or the end of the text");
      ++pos_;
    }
    return layers;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_spaces() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
  }

  // The token at `at` for a message: a run of word or number characters, or one character.
  std::string token_at(std::size_t at) const {
    if (at >= text_.size()) return "the end of the text";
    std::size_t end = at;
    while (end < text_.size() && (is_word_char(text_[end]) || is_number_char(text_[end]))) ++end;
    if (end == at) end = at + 1;
    return quote_value(text_.substr(at, end - at));
  }

  [[noreturn]] void fail(std::size_t at, std::string_view expected) const {
    throw Error(fmt::format("invalid architecture {}: at column {}, expected {} but found {}", quote_value(text_, 80), at + 1,
                            expected, token_at(at)),
                std::string(kFix));
  }

  std::string_view read_word() {
    const std::size_t start = pos_;
    if (at_end() || !is_word_start(text_[pos_])) return {};
    while (!at_end() && is_word_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string_view read_number_text() {
    const std::size_t start = pos_;
    while (!at_end() && is_number_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Index read_count(std::string_view expected, Index low, Index high) {
    skip_spaces();
    const std::size_t start = pos_;
    const std::string_view digits = read_number_text();
    Index value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value < low || value > high) {
      fail(start, fmt::format("{}, a whole number from {} to {}", expected, low, high));
    }
    return value;
  }

  // A real number in [low, high], or in (low, high] when `low_open`.
  float read_real(std::string_view expected, float low, float high, bool low_open, bool high_open) {
    skip_spaces();
    const std::size_t start = pos_;
    const std::string_view digits = read_number_text();
    float value = 0.0f;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool above = low_open ? value > low : value >= low;
    const bool below = high_open ? value < high : value <= high;
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value) || !above || !below) {
      fail(start, fmt::format("{}, a number in {}{}, {}{}", expected, low_open ? '(' : '[', shortest(low), shortest(high),
                              high_open ? ')' : ']'));
    }
    return value;
  }

  void expect(char c, std::string_view expected) {
    skip_spaces();
    if (at_end() || text_[pos_] != c) fail(pos_, expected);
    ++pos_;
  }

  bool next_is(char c) {
    skip_spaces();
    return !at_end() && text_[pos_] == c;
  }

  // "x3" after a layer: a repeat count, not an activation.
  bool at_repeat() const {
    return !at_end() && text_[pos_] == 'x' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) != 0;
  }

  Activation read_optional_activation() {
    skip_spaces();
    if (at_end() || !is_word_start(text_[pos_]) || at_repeat()) return Activation::identity;
    const std::size_t start = pos_;
    const std::string_view word = read_word();
    const auto activation = parse_activation(word);
    if (!activation) fail(start, fmt::format("an activation ({})", activation_names()));
    return *activation;
  }

  void parse_item(std::vector<LayerConfig>& layers) {
    skip_spaces();
    const std::size_t start = pos_;
    if (at_end()) fail(start, kLayerChoices);
    LayerConfig config;
    if (std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0) {
      config.kind = LayerKind::dense;
      config.units = read_count("a layer width", 1, kMaxLayerWidth);
      config.activation = read_optional_activation();
    } else {
      const std::string_view word = read_word();
      if (word == "res") {
        config.kind = LayerKind::residual;
        expect('(', "'(' after 'res', as in 'res(64 relu)'");
        config.units = read_count("the residual block's width", 1, kMaxLayerWidth);
        config.activation = read_optional_activation();
        expect(')', "')' to close the residual block");
      } else if (word == "bn" || word == "batchnorm") {
        config.kind = LayerKind::batch_norm;
        if (next_is(':')) {
          ++pos_;
          config.momentum = read_real("the batch normalization momentum", 0.0f, 1.0f, /*low_open=*/true, /*high_open=*/false);
        }
      } else if (word == "ln" || word == "layernorm") {
        config.kind = LayerKind::layer_norm;
      } else if (word == "dropout") {
        config.kind = LayerKind::dropout;
        expect(':', "':' and a rate after 'dropout', as in 'dropout:0.1'");
        config.rate = read_real("the dropout rate", 0.0f, 1.0f, /*low_open=*/false, /*high_open=*/true);
      } else if (word == "fourier") {
        config.kind = LayerKind::fourier_features;
        expect(':', "':' and a frequency count after 'fourier', as in 'fourier:8'");
        config.frequencies = read_count("the number of frequencies per input", 1, kMaxLayerWidth);
        if (next_is(':')) {
          ++pos_;
          skip_spaces();
          const std::size_t scheme_start = pos_;
          const std::string_view scheme = read_word();
          if (scheme == "bands") {
            config.scheme = FourierScheme::bands;
          } else if (scheme == "gaussian") {
            config.scheme = FourierScheme::gaussian;
            expect(':', "':' and a standard deviation after 'gaussian', as in 'fourier:64:gaussian:10'");
            config.scale = read_real("the standard deviation of the frequencies", 0.0f, 1e6f, /*low_open=*/true, /*high_open=*/false);
          } else {
            fail(scheme_start, "'bands' or 'gaussian'");
          }
        }
      } else {
        fail(start, kLayerChoices);
      }
    }

    Index repeat = 1;
    skip_spaces();
    if (at_repeat()) {
      ++pos_;
      repeat = read_count("a repeat count after 'x'", 1, kMaxRepeat);
    }
    layers.insert(layers.end(), static_cast<std::size_t>(repeat), config);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string format_layer(const LayerConfig& config) {
  const bool has_activation = config.activation != Activation::identity;
  switch (config.kind) {
    case LayerKind::dense:
      return has_activation ? fmt::format("{} {}", config.units, to_string(config.activation)) : fmt::format("{}", config.units);
    case LayerKind::residual:
      return has_activation ? fmt::format("res({} {})", config.units, to_string(config.activation))
                            : fmt::format("res({})", config.units);
    case LayerKind::batch_norm:
      return config.momentum == BatchNorm::kDefaultMomentum ? std::string("bn") : "bn:" + shortest(config.momentum);
    case LayerKind::layer_norm:
      return "ln";
    case LayerKind::dropout:
      return "dropout:" + shortest(config.rate);
    case LayerKind::fourier_features:
      return config.scheme == FourierScheme::gaussian
                 ? fmt::format("fourier:{}:gaussian:{}", config.frequencies, shortest(config.scale))
                 : fmt::format("fourier:{}", config.frequencies);
  }
  std::abort();
}

// Checked access to the JSON form; every failure names the key.
class JsonReader {
 public:
  explicit JsonReader(const json& entry) : entry_(entry) {}

  [[noreturn]] static void fail(const std::string& what) {
    throw Error("invalid layer in the JSON architecture: " + what, "give each layer as in {\"type\": \"dense\", \"units\": 64, \"activation\": \"relu\"}");
  }
  const json& member(const char* key) const {
    if (!entry_.contains(key)) fail(fmt::format("'{}' is missing in {}", key, quote_value(entry_.dump(), 80)));
    return entry_.at(key);
  }
  std::string text(const char* key) const {
    const json& value = member(key);
    if (!value.is_string()) fail(fmt::format("'{}' is {}, not a string", key, quote_value(value.dump())));
    return value.get<std::string>();
  }
  Index count(const char* key, Index low, Index high) const {
    const json& value = member(key);
    if (!value.is_number_integer()) fail(fmt::format("'{}' is {}, not a whole number", key, quote_value(value.dump())));
    const auto number = value.get<std::int64_t>();
    if (number < low || number > high) fail(fmt::format("'{}' is {}, outside [{}, {}]", key, number, low, high));
    return number;
  }
  float real(const char* key) const {
    const json& value = member(key);
    if (!value.is_number()) fail(fmt::format("'{}' is {}, not a number", key, quote_value(value.dump())));
    return value.get<float>();
  }
  Activation activation() const {
    const std::string name = text("activation");
    const auto activation = parse_activation(name);
    if (!activation) fail(fmt::format("unknown activation {}; expected one of {}", quote_value(name), activation_names()));
    return *activation;
  }
  void allow_only(std::initializer_list<std::string_view> keys) const {
    for (const auto& [key, value] : entry_.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) fail(fmt::format("unknown key {}", quote_value(key)));
    }
  }

 private:
  const json& entry_;
};

}  // namespace

std::string_view to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::dense: return "dense";
    case LayerKind::residual: return "residual";
    case LayerKind::batch_norm: return "batch_norm";
    case LayerKind::layer_norm: return "layer_norm";
    case LayerKind::dropout: return "dropout";
    case LayerKind::fourier_features: return "fourier_features";
  }
  std::abort();
}

json layer_config_to_json(const LayerConfig& config) {
  json entry = {{"type", std::string(to_string(config.kind))}};
  switch (config.kind) {
    case LayerKind::dense:
    case LayerKind::residual:
      entry["units"] = config.units;
      entry["activation"] = std::string(to_string(config.activation));
      break;
    case LayerKind::batch_norm:
      entry["momentum"] = as_json_number(config.momentum);
      break;
    case LayerKind::layer_norm:
      break;
    case LayerKind::dropout:
      entry["rate"] = as_json_number(config.rate);
      break;
    case LayerKind::fourier_features:
      entry["frequencies"] = config.frequencies;
      entry["scheme"] = config.scheme == FourierScheme::gaussian ? "gaussian" : "bands";
      if (config.scheme == FourierScheme::gaussian) entry["scale"] = as_json_number(config.scale);
      break;
  }
  return entry;
}

LayerConfig layer_config_from_json(const json& entry) {
  if (!entry.is_object()) JsonReader::fail(fmt::format("{} is not an object", quote_value(entry.dump(), 80)));
  const JsonReader reader(entry);
  const std::string type = reader.text("type");
  LayerConfig config;
  if (type == "dense" || type == "residual") {
    reader.allow_only({"type", "units", "activation"});
    config.kind = type == "dense" ? LayerKind::dense : LayerKind::residual;
    config.units = reader.count("units", 1, kMaxLayerWidth);
    config.activation = reader.activation();
  } else if (type == "batch_norm") {
    reader.allow_only({"type", "momentum"});
    config.kind = LayerKind::batch_norm;
    if (entry.contains("momentum")) config.momentum = reader.real("momentum");
  } else if (type == "layer_norm") {
    reader.allow_only({"type"});
    config.kind = LayerKind::layer_norm;
  } else if (type == "dropout") {
    reader.allow_only({"type", "rate"});
    config.kind = LayerKind::dropout;
    config.rate = reader.real("rate");
  } else if (type == "fourier_features") {
    reader.allow_only({"type", "frequencies", "scheme", "scale"});
    config.kind = LayerKind::fourier_features;
    config.frequencies = reader.count("frequencies", 1, kMaxLayerWidth);
    const std::string scheme = entry.contains("scheme") ? reader.text("scheme") : std::string("bands");
    if (scheme == "gaussian") {
      config.scheme = FourierScheme::gaussian;
      config.scale = reader.real("scale");
    } else if (scheme != "bands") {
      JsonReader::fail(fmt::format("unknown Fourier scheme {}; expected bands or gaussian", quote_value(scheme)));
    }
  } else {
    JsonReader::fail(fmt::format("unknown layer type {}; expected dense, residual, batch_norm, layer_norm, dropout or fourier_features",
                                 quote_value(type)));
  }
  return config;
}

std::vector<LayerConfig> parse_architecture(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '[') {
    const json list = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (list.is_discarded() || !list.is_array()) {
      throw Error(fmt::format("invalid JSON architecture {}: it is not a JSON list", quote_value(text, 80)),
                  "give a list such as [{\"type\": \"dense\", \"units\": 64, \"activation\": \"relu\"}]");
    }
    if (list.empty()) throw Error("invalid JSON architecture: the list of layers is empty", "give at least one layer");
    std::vector<LayerConfig> layers;
    for (const json& entry : list) layers.push_back(layer_config_from_json(entry));
    return layers;
  }
  return TextParser(text).parse();
}

std::string format_architecture(const std::vector<LayerConfig>& layers) {
  std::string text;
  for (std::size_t i = 0; i < layers.size();) {
    // A run longer than the parser's largest repeat count is written as several runs.
    std::size_t run = 1;
    while (i + run < layers.size() && run < static_cast<std::size_t>(kMaxRepeat) && layers[i + run] == layers[i]) ++run;
    if (!text.empty()) text += ", ";
    text += format_layer(layers[i]);
    if (run > 1) text += fmt::format("{}x{}", layers[i].kind == LayerKind::residual ? "" : " ", run);
    i += run;
  }
  return text;
}

std::string architecture_to_json(const std::vector<LayerConfig>& layers) {
  json list = json::array();
  for (const auto& config : layers) list.push_back(layer_config_to_json(config));
  return list.dump();
}

Index layer_output_width(const LayerConfig& config, Index input_width) {
  switch (config.kind) {
    case LayerKind::dense:
    case LayerKind::residual:
      return config.units;
    case LayerKind::fourier_features:
      return 2 * input_width * config.frequencies;
    case LayerKind::batch_norm:
    case LayerKind::layer_norm:
    case LayerKind::dropout:
      return input_width;
  }
  std::abort();
}

void check_layer_config(const LayerConfig& config, Index input_width) {
  const std::string name = std::string(to_string(config.kind));
  if (input_width < 1 || input_width > kMaxLayerWidth) {
    throw Error(fmt::format("invalid input width {} for a {} layer", input_width, name), fmt::format("give 1 to {} inputs", kMaxLayerWidth));
  }
  switch (config.kind) {
    case LayerKind::dense:
    case LayerKind::residual:
      if (config.units < 1 || config.units > kMaxLayerWidth) {
        throw Error(fmt::format("invalid {} layer width {}", name, config.units), fmt::format("give 1 to {} units", kMaxLayerWidth));
      }
      break;
    case LayerKind::batch_norm:
      if (!(config.momentum > 0.0f && config.momentum <= 1.0f)) {
        throw Error(fmt::format("invalid batch normalization momentum {}", config.momentum), "give a momentum in (0, 1], such as 0.1");
      }
      break;
    case LayerKind::layer_norm:
      break;
    case LayerKind::dropout:
      if (!(config.rate >= 0.0f && config.rate < 1.0f)) {
        throw Error(fmt::format("invalid dropout rate {}", config.rate), "give a rate in [0, 1), such as 0.1");
      }
      break;
    case LayerKind::fourier_features: {
      const Index most = config.scheme == FourierScheme::bands ? FourierFeatures::kMaxBands : kMaxLayerWidth;
      if (config.frequencies < 1 || config.frequencies > most) {
        throw Error(fmt::format("invalid number of Fourier frequencies {}", config.frequencies),
                    fmt::format("give 1 to {} frequencies per input", most));
      }
      if (2 * input_width * config.frequencies > kMaxLayerWidth) {
        throw Error(fmt::format("Fourier features of {} inputs with {} frequencies give {} features, more than {}", input_width,
                                config.frequencies, 2 * input_width * config.frequencies, kMaxLayerWidth),
                    "use fewer frequencies");
      }
      if (config.scheme == FourierScheme::gaussian && !(config.scale > 0.0f && std::isfinite(config.scale))) {
        throw Error(fmt::format("invalid standard deviation {} for Gaussian Fourier features", config.scale),
                    "give a positive number, such as 10");
      }
      break;
    }
  }
}

std::vector<TensorShape> layer_tensor_shapes(const LayerConfig& config, Index input_width) {
  const Index width = layer_output_width(config, input_width);
  switch (config.kind) {
    case LayerKind::dense:
      return {{"weight", input_width, width}, {"bias", 1, width}};
    case LayerKind::residual: {
      std::vector<TensorShape> shapes = {
          {"first.weight", input_width, width}, {"first.bias", 1, width}, {"second.weight", width, width}, {"second.bias", 1, width}};
      if (input_width != width) shapes.push_back({"projection.weight", input_width, width});
      return shapes;
    }
    case LayerKind::batch_norm:
      return {{"weight", 1, width}, {"bias", 1, width}, {"running_mean", 1, width}, {"running_var", 1, width}};
    case LayerKind::layer_norm:
      return {{"weight", 1, width}, {"bias", 1, width}};
    case LayerKind::dropout:
      return {};
    case LayerKind::fourier_features:
      return {{"frequencies", input_width, input_width * config.frequencies}};
  }
  std::abort();
}

std::unique_ptr<Layer> make_layer(const LayerConfig& config, Index input_width) {
  check_layer_config(config, input_width);
  switch (config.kind) {
    case LayerKind::dense:
      return std::make_unique<Dense>(input_width, config.units, config.activation);
    case LayerKind::residual:
      return std::make_unique<ResidualBlock>(input_width, config.units, config.activation);
    case LayerKind::batch_norm:
      return std::make_unique<BatchNorm>(input_width, config.momentum);
    case LayerKind::layer_norm:
      return std::make_unique<LayerNorm>(input_width);
    case LayerKind::dropout:
      return std::make_unique<Dropout>(input_width, config.rate);
    case LayerKind::fourier_features:
      return std::make_unique<FourierFeatures>(input_width, config.frequencies, config.scheme, config.scale);
  }
  std::abort();
}

}  // namespace protean
