#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "commands.hpp"
#include "option_checks.hpp"
#include "data_options.hpp"
#include "protean/data/idx.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/report.hpp"

namespace protean::cli {

namespace {

struct ReportCommandOptions {
  std::string model;
  std::string data;
  DataOptions data_options;
  std::string missing = "error";  // --missing
  std::string output = "report";
  std::size_t top_units = 0;
  int width = 960;
  int height = 600;
};

void run_report(const ReportCommandOptions& options, const GlobalOptions& global) {
  Model model = load_model(options.model);
  Dataset data;
  if (!options.data_options.labels.empty()) {
    data = read_idx_dataset(options.data, options.data_options.labels);
  } else {
    data = model_dataset(model, read_csv(options.data, csv_options(options.data_options)), /*with_targets=*/true,
                         missing_values(options.missing));
    print_left_out_rows(data);
  }
  ReportOptions report_options;
  report_options.top_units = options.top_units;
  report_options.width = options.width;
  report_options.height = options.height;
  report_options.inputs = {options.model, options.data, options.data_options.labels};
  const ReportResult report = write_report(model, data, /*history=*/nullptr, options.output, report_options);
  if (global.quiet) return;
  for (const auto& figure : report.figures) std::printf("figure: %s (%s)\n", figure.svg.c_str(), figure.title.c_str());
  for (const auto& note : report.notes) std::printf("left out: %s\n", note.c_str());
  std::printf("report: %s\n", report.html.c_str());
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ReportCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Draw what a saved model learned on labelled data: figures as SVG and PNG, and one offline report.html");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required()->check(non_empty_value());
  command->add_option("DATA", options->data, "CSV file with the input columns and the target column or columns (or IDX images with --labels)")
      ->required()
      ->check(non_empty_value());
  add_data_options(*command, options->data_options, /*with_labels=*/true);
  add_missing_option(*command, options->missing);
  command->add_option("-o,--output", options->output, "Folder to write the report into (created when missing)")
      ->check(non_empty_value())
      ->capture_default_str();
  command->add_option("--top-units", options->top_units,
                      "Units figure: draw only the K hidden units with the largest contribution span, the rest summed (0: all)")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()))
      ->capture_default_str();
  command->add_option("--width", options->width, "Figure width in pixels")->check(whole_number(200, 10000))->capture_default_str();
  command->add_option("--height", options->height, "Figure height in pixels")->check(whole_number(150, 10000))->capture_default_str();
  command->callback([options, &global] { run_report(*options, global); });
}

}  // namespace protean::cli
