#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "option_checks.hpp"
#include "protean/io/model_file.hpp"

namespace protean::cli {

namespace {

// The cross-validated search stored by fit(): one line per candidate, the chosen one marked.
std::string describe_search(const nlohmann::json& search) try {
  std::string text = fmt::format("search: {}-fold cross-validation, {} s\n", search.value("folds", 0),
                                 fmt::format("{:.1f}", search.value("seconds", 0.0)));
  const auto chosen = search.value("chosen", std::size_t{0});
  const nlohmann::json candidates = search.value("candidates", nlohmann::json::array());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const nlohmann::json& candidate = candidates[i];
    const nlohmann::json& loss = candidate.value("held_out_loss", nlohmann::json());
    const nlohmann::json& error = candidate.value("standard_error", nlohmann::json());
    // The standard error says how far apart two losses must be to tell the candidates apart.
    const std::string spread =
        loss.is_number() && error.is_number() ? fmt::format(" (standard error {:.2g})", error.get<double>()) : "";
    text += fmt::format("  {:<6} weight decay {:<8g} held-out loss {}{}{}\n", candidate.value("optimizer", std::string("?")),
                        candidate.value("weight_decay", 0.0), loss.is_number() ? fmt::format("{:.6g}", loss.get<double>()) : "diverged",
                        spread, i == chosen ? "  (chosen)" : "");
  }
  return text;
}
catch (const nlohmann::json::exception&) {
  // A model file from another writer may hold a malformed record; the rest of info still prints.
  return "search: the stored record of the search is malformed\n";
}

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
  text += fmt::format("{:<14}{}\n", model.target_names.size() > 1 ? "targets:" : "target:", fmt::join(model.target_names, ", "));

  // Preprocessing, one line per column; models with many inputs list the first 20 unless asked.
  const Index shown = options.all_columns ? model.input_width() : std::min<Index>(model.input_width(), 20);
  const Index input_columns = model.encoding().column_count();
  text += fmt::format("inputs:       {}, standardized as (x - mean) / scale\n",
                      input_columns == model.input_width()
                          ? fmt::format("{} columns", input_columns)
                          : fmt::format("{} inputs from {} columns", model.input_width(), input_columns));
  for (Index c = 0; c < shown; ++c) {
    text += fmt::format("  {:<24} mean {:<12.6g} scale {:.6g}\n", model.input_names[static_cast<std::size_t>(c)],
                        model.input_scaler.mean()(0, c), model.input_scaler.scale()(0, c));
  }
  if (shown < model.input_width()) text += fmt::format("  ... {} more (--all-columns lists them)\n", model.input_width() - shown);
  const InputEncoding encoding = model.encoding();
  for (const InputColumn& column : encoding.columns()) {
    if (!column.is_categorical()) continue;
    text += fmt::format("categorical:  column '{}', {} categories ({}), one 0/1 input each, not standardized\n", column.name,
                        column.categories.size(), list_categories(column));
  }
  if (model.target_scaler.fitted()) {
    for (Index c = 0; c < model.target_scaler.width(); ++c) {
      // The center is the mean, or the median for the mae and huber losses.
      text += fmt::format("target scale: {:<24} center {:<10.6g} scale {:.6g}\n", model.target_names[static_cast<std::size_t>(c)],
                          model.target_scaler.mean()(0, c), model.target_scaler.scale()(0, c));
    }
  }
  if (!model.training_summary.empty()) {
    const auto summary = nlohmann::json::parse(model.training_summary, nullptr, false);
    if (summary.is_object() && !summary.empty()) {
      text += "training:\n";
      for (const auto& [key, value] : summary.items()) {
        if (key == "search" && value.is_object()) continue;
        text += fmt::format("  {:<22} {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
      }
      if (summary.contains("search") && summary["search"].is_object()) text += describe_search(summary["search"]);
    }
  }
  std::fputs(text.c_str(), stdout);
}

}  // namespace

void add_info_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* command = app.add_subcommand("info", "Show a saved model's architecture, preprocessing and training summary");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required()->check(non_empty_value());
  command->add_flag("--all-columns", options->all_columns, "List every input column's preprocessing, not only the first 20");
  command->callback([options] { run_info(*options); });
}

}  // namespace protean::cli
