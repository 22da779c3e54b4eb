#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "protean/io/model_file.hpp"

namespace protean::cli {

namespace {

struct InfoOptions {
  std::string model;
  bool all_columns = false;
};

void run_info(const InfoOptions& options) {
  Model model = load_model(options.model);
  std::string text;
  text += fmt::format("model:        {}\n", options.model);
  text += fmt::format("task:         {}\n", to_string(model.task));
  text += fmt::format("architecture: {}\n", model.network.describe());
  text += fmt::format("parameters:   {}\n", model.network.parameter_count());
  text += fmt::format("loss:         {}\n", model.loss);
  if (model.task == Task::classification) {
    text += fmt::format("classes:      {} ({})\n", model.class_names.size(), fmt::join(model.class_names, ", "));
  }
  text += fmt::format("target:       {}\n", fmt::join(model.target_names, ", "));

  // Preprocessing, one line per column; models with many inputs list the first 20 unless asked.
  const Index shown = options.all_columns ? model.input_width() : std::min<Index>(model.input_width(), 20);
  text += fmt::format("inputs:       {} columns, standardized as (x - mean) / scale\n", model.input_width());
  for (Index c = 0; c < shown; ++c) {
    text += fmt::format("  {:<24} mean {:<12.6g} scale {:.6g}\n", model.input_names[static_cast<std::size_t>(c)],
                        model.input_scaler.mean()(0, c), model.input_scaler.scale()(0, c));
  }
  if (shown < model.input_width()) text += fmt::format("  ... {} more (--all-columns lists them)\n", model.input_width() - shown);
  if (model.target_scaler.fitted()) {
    for (Index c = 0; c < model.target_scaler.width(); ++c) {
      text += fmt::format("target scale: {:<24} mean {:<12.6g} scale {:.6g}\n", model.target_names[static_cast<std::size_t>(c)],
                          model.target_scaler.mean()(0, c), model.target_scaler.scale()(0, c));
    }
  }
  if (!model.training_summary.empty()) {
    const auto summary = nlohmann::json::parse(model.training_summary, nullptr, false);
    if (summary.is_object() && !summary.empty()) {
      text += "training:\n";
      for (const auto& [key, value] : summary.items()) {
        text += fmt::format("  {:<22} {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
  }
  std::fputs(text.c_str(), stdout);
}

}  // namespace

void add_info_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* command = app.add_subcommand("info", "Show a saved model's architecture, preprocessing and training summary");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required();
  command->add_flag("--all-columns", options->all_columns, "List every input column's preprocessing, not only the first 20");
  command->callback([options] { run_info(*options); });
}

}  // namespace protean::cli
