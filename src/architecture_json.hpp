// The JSON form of one LayerConfig, shared by the architecture parser and the model file.
#pragma once

#include <nlohmann/json.hpp>

#include "protean/layers/layer_config.hpp"

namespace protean {

nlohmann::json layer_config_to_json(const LayerConfig& config);
// Throws an Error naming the key and value that is missing, of the wrong type or out of range.
LayerConfig layer_config_from_json(const nlohmann::json& entry);

}  // namespace protean
