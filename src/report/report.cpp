#include "protean/report/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "figures.hpp"
#include "gnuplot.hpp"
#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"

namespace protean {

namespace {

using report_detail::GnuplotFigure;
using report_detail::TargetColumn;

std::string html_escape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Location{path.string()}, "cannot read the figure gnuplot wrote", "check the folder's permissions");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Turns a gnuplot SVG file into an element for the HTML page: drops the XML prologue, puts the
// figure's title in <title>, and prefixes every id, because each gnuplot SVG defines the same
// ids (gpPt0, gnuplot_canvas, ...) and ids must be unique within one page.
std::string inline_svg(const std::string& svg_text, const std::string& title, const std::string& id_prefix) {
  const std::size_t start = svg_text.find("<svg");
  if (start == std::string::npos) {
    throw Error(fmt::format("the SVG figure '{}' that gnuplot wrote has no <svg> element", title),
                "check that gnuplot's svg terminal works: gnuplot -e 'set terminal svg'");
  }
  std::string svg = svg_text.substr(start);
  for (const char quote : {'"', '\''}) {
    const std::string q(1, quote);
    replace_all(svg, "id=" + q, "id=" + q + id_prefix);
    replace_all(svg, "href=" + q + "#", "href=" + q + "#" + id_prefix);
  }
  replace_all(svg, "url(#", "url(#" + id_prefix);
  replace_all(svg, "<title>Gnuplot</title>", "<title>" + html_escape(title) + "</title>");
  return svg;
}

report_detail::RenderRequest render_request(const ReportOptions& options, bool svg, bool png) {
  if (options.width < 200 || options.height < 150 || options.width > 10000 || options.height > 10000) {
    throw Error(fmt::format("invalid figure size {}x{} pixels", options.width, options.height),
                "give a width from 200 to 10000 and a height from 150 to 10000");
  }
  report_detail::RenderRequest request;
  request.svg = svg;
  request.png = png;
  request.width = options.width;
  request.height = options.height;
  request.program = options.gnuplot;
  return request;
}

FigureFile draw(const GnuplotFigure& figure, const std::filesystem::path& directory, const report_detail::RenderRequest& request) {
  report_detail::render_figure(figure, directory, request);
  FigureFile file;
  file.name = figure.name;
  file.title = figure.title;
  if (request.svg) file.svg = directory / (figure.name + ".svg");
  if (request.png) file.png = directory / (figure.name + ".png");
  return file;
}

// Grid of inputs for the units figure: the data's range, or mean ± 2 standard deviations of the
// training inputs when there is no data.
std::vector<float> decomposition_grid(const Model& model, const Dataset* data) {
  double low = model.input_scaler.mean()(0, 0) - 2.0 * model.input_scaler.scale()(0, 0);
  double high = model.input_scaler.mean()(0, 0) + 2.0 * model.input_scaler.scale()(0, 0);
  if (data != nullptr && data->rows() > 0) {
    low = high = data->inputs(0, 0);
    for (Index r = 0; r < data->rows(); ++r) {
      low = std::min<double>(low, data->inputs(r, 0));
      high = std::max<double>(high, data->inputs(r, 0));
    }
  }
  return report_detail::linear_grid(low, high, 400);
}

std::string figure_name(const char* kind, Index target, Index targets) {
  return targets == 1 ? std::string(kind) : fmt::format("{}_{}", kind, target + 1);
}

// Class ids of the data mapped to the model's class ids, by name.
std::vector<Index> model_class_ids(const Model& model, const Dataset& data) {
  std::vector<Index> mapping;
  for (const auto& name : data.class_names) {
    const auto found = std::find(model.class_names.begin(), model.class_names.end(), name);
    if (found == model.class_names.end()) {
      throw Error(Location{data.source}, fmt::format("the class '{}' in the data is not one of the model's classes ({})", name,
                                                     fmt::join(model.class_names, ", ")),
                  "give data labelled with the classes the model was trained on");
    }
    mapping.push_back(static_cast<Index>(found - model.class_names.begin()));
  }
  std::vector<Index> ids(static_cast<std::size_t>(data.rows()));
  for (Index r = 0; r < data.rows(); ++r) {
    const auto id = static_cast<std::size_t>(data.targets(r, 0));
    ids[static_cast<std::size_t>(r)] = id < mapping.size() ? mapping[id] : static_cast<Index>(id);
  }
  return ids;
}

// Adds the metrics on `data`, and with several targets each target's own after their means.
void add_metric_rows(Model& model, const Dataset& data, std::vector<std::pair<std::string, std::string>>& rows) {
  const Metrics metrics = model.evaluate(data);
  if (metrics.targets.size() < 2) {
    rows.emplace_back("metrics on this data", metrics.to_string());
    return;
  }
  rows.emplace_back("metrics on this data", fmt::format("{} (mean of {} targets)", metrics.to_string(), metrics.targets.size()));
  for (std::size_t t = 0; t < metrics.targets.size() && t < model.target_names.size(); ++t) {
    rows.emplace_back(fmt::format("metrics of target {}", model.target_names[t]), metrics.targets[t].to_string());
  }
}

std::string summary_table(const Model& model, const Dataset& data, const TrainResult* history) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("task", to_string(model.task));
  rows.emplace_back("network", model.network.describe());
  rows.emplace_back("parameters", std::to_string(model.network.parameter_count()));
  rows.emplace_back("inputs", fmt::format("{}", fmt::join(model.input_names, ", ")));
  if (model.task == Task::classification) {
    rows.emplace_back("classes", fmt::format("{}", fmt::join(model.class_names, ", ")));
  } else {
    rows.emplace_back("target", fmt::format("{}", fmt::join(model.target_names, ", ")));
  }
  rows.emplace_back("data", fmt::format("{} ({} rows)", data.source.empty() ? "in memory" : data.source, data.rows()));
  add_metric_rows(const_cast<Model&>(model), data, rows);
  if (history != nullptr && !history->history.empty()) {
    const char* unit = history_unit(*history);
    rows.emplace_back("training", fmt::format("{} {}s in {:.1f} s, kept {} {}{}", history->history.size(), unit,
                                              history->seconds, unit, history->best_epoch,
                                              history->stopped_early ? ", stopped early" : ""));
  }
  // What fit() recorded: the recipe, and the candidates of the search when it ran.
  const nlohmann::json summary = nlohmann::json::parse(model.training_summary, nullptr, /*allow_exceptions=*/false);
  if (summary.is_object()) {
    if (summary.contains("recipe") && summary["recipe"].is_string()) rows.emplace_back("recipe", summary["recipe"].get<std::string>());
    const nlohmann::json search = summary.contains("search") ? summary["search"] : nlohmann::json();
    if (search.is_object() && search.contains("candidates") && search["candidates"].is_array()) {
      std::vector<std::string> parts;
      try {
        for (const nlohmann::json& candidate : search["candidates"]) {
          const nlohmann::json loss = candidate.value("held_out_loss", nlohmann::json());
          const nlohmann::json error = candidate.value("standard_error", nlohmann::json());
          std::string value = loss.is_number() ? fmt::format("{:.4g}", loss.get<double>()) : std::string("diverged");
          if (loss.is_number() && error.is_number()) value += fmt::format(" ± {:.2g}", error.get<double>());
          parts.push_back(fmt::format("{} {:g}: {}", candidate.value("optimizer", std::string("?")),
                                      candidate.value("weight_decay", 0.0), value));
        }
      } catch (const nlohmann::json::exception&) {
        parts = {"the stored record of the search is malformed"};  // a model file from another writer
      }
      rows.emplace_back("search (held-out loss ± standard error per optimizer and weight decay)", fmt::format("{}", fmt::join(parts, "; ")));
    }
  }
  std::string html = "<table class=\"summary\">\n";
  for (const auto& [key, value] : rows) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(key), html_escape(value));
  }
  return html + "</table>\n";
}

// The folder's own name, also when the path ends in a slash ("rep/" gives "rep").
std::string folder_name(const std::filesystem::path& directory) {
  std::filesystem::path path = directory.lexically_normal();
  if (!path.has_filename()) path = path.parent_path();
  const std::string name = path.filename().string();
  return name.empty() ? directory.string() : name;
}

// The page loads nothing: the SVGs are inline, the style is inline, and the Content Security
// Policy makes the browser refuse any request, so the file opens the same offline.
std::string report_html(const Model& model, const Dataset& data, const TrainResult* history, const std::filesystem::path& directory,
                        const std::vector<FigureFile>& figures, const std::vector<std::string>& notes) {
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += fmt::format("<title>Protean report: {}</title>\n", html_escape(model.network.describe()));
  html += "<style>\n"
          "body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2rem auto; max-width: 1040px; color: #222; }\n"
          "h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; }\n"
          "table.summary { border-collapse: collapse; } table.summary th, table.summary td "
          "{ text-align: left; padding: 0.2rem 1rem 0.2rem 0; vertical-align: top; }\n"
          "figure { margin: 0; } figure svg { width: 100%; height: auto; border: 1px solid #e5e5e5; }\n"
          "figcaption { color: #666; font-size: 0.85rem; }\n"
          "</style>\n</head>\n<body>\n";
  html += fmt::format("<h1>What the network {} learned</h1>\n", html_escape(model.network.describe()));
  html += summary_table(model, data, history);
  for (std::size_t k = 0; k < figures.size(); ++k) {
    const FigureFile& figure = figures[k];
    html += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n<figure>\n", html_escape(figure.name), html_escape(figure.title));
    html += inline_svg(read_text(figure.svg), figure.title, fmt::format("f{}_", k));
    html += fmt::format("\n<figcaption>Files in this folder: {0}.svg, {0}.png, and the data {0}.dat drawn by the gnuplot script {0}.gp.</figcaption>\n",
                        html_escape(figure.name));
    html += "</figure>\n</section>\n";
  }
  if (!notes.empty()) {
    html += "<h2>Figures left out</h2>\n<ul>\n";
    for (const auto& note : notes) html += fmt::format("<li>{}</li>\n", html_escape(note));
    html += "</ul>\n";
  }
  html += fmt::format("<p><small>Written by protean {} into {}.</small></p>\n</body>\n</html>\n", PROTEAN_VERSION,
                      html_escape(folder_name(directory)));
  return html;
}

void create_report_directory(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error || !std::filesystem::is_directory(directory)) {
    throw Error(Location{directory.string()}, fmt::format("cannot create the report folder: {}", error ? error.message() : "a file has that name"),
                "choose another folder with -o or --report");
  }
}

// Throws when one of `outputs` is one of `inputs`, so that writing never destroys the data or
// model that was read. `what` names the writer and `fix` is the advice for the message.
void check_outputs_spare_inputs(const std::vector<std::filesystem::path>& outputs,
                                const std::vector<std::filesystem::path>& inputs, const std::string& what,
                                const std::string& fix) {
  for (const std::filesystem::path& output : outputs) {
    for (const std::filesystem::path& input : inputs) {
      std::error_code ignored;
      if (input.empty() || !std::filesystem::exists(output, ignored) || !std::filesystem::equivalent(output, input, ignored)) continue;
      throw Error(Location{output.string()}, fmt::format("the {} would write over its input file '{}'", what, input.string()),
                  fix);
    }
  }
}

// Throws when a file the report would write (a figure's .dat, .gp, .svg and .png, and
// report.html) is one of `inputs`.
void check_spares_inputs(const std::filesystem::path& directory, const std::vector<GnuplotFigure>& figures,
                         const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> outputs = {directory / "report.html"};
  for (const GnuplotFigure& figure : figures) {
    for (const char* extension : {".dat", ".gp", ".svg", ".png"}) outputs.push_back(directory / (figure.name + extension));
  }
  check_outputs_spare_inputs(outputs, inputs, "report", "choose another report folder, or move the input file out of it");
}

void check_gnuplot(const std::string& program) {
  if (!program_available(program)) {
    throw Error(fmt::format("the program '{}' was not found; reports and figures are drawn with gnuplot", program),
                "install it with 'apt-get install gnuplot-nox' (the Debian and Ubuntu package gnuplot-nox), or put gnuplot on PATH");
  }
}

}  // namespace

ReportResult write_report(Model& model, const Dataset& data, const TrainResult* history, const std::filesystem::path& directory,
                          const ReportOptions& options) {
  model.check_inputs(data);
  if (data.rows() == 0) throw Error(Location{data.source}, "the data has no rows to draw", "give a data file with rows");
  if (model.task != data.task) {
    throw Error(Location{data.source}, fmt::format("the model is for {} but the data is labelled for {}", to_string(model.task),
                                                   to_string(data.task)),
                "give the data the model was trained on, or pass --task to match");
  }
  if (model.task == Task::regression && data.targets.cols() != model.network.output_width()) {
    throw Error(Location{data.source}, fmt::format("the data has {} target columns but the model predicts {}", data.targets.cols(),
                                                   model.network.output_width()),
                "give the target columns the model was trained on");
  }
  check_gnuplot(options.gnuplot);
  create_report_directory(directory);
  const auto request = render_request(options, /*svg=*/true, /*png=*/true);

  ReportResult result;
  std::vector<GnuplotFigure> figures;
  if (history == nullptr || history->history.empty()) {
    result.notes.push_back("Loss per epoch: no training history was given; 'protean fit --report DIR' draws it.");
  } else if (auto loss = report_detail::loss_figure(*history, model)) {
    figures.push_back(std::move(*loss));
  } else {
    result.notes.push_back("Loss per epoch: no epoch has a positive finite loss to draw on a log scale.");
  }
  if (history != nullptr) {
    if (auto norms = report_detail::gradient_norm_figure(*history)) figures.push_back(std::move(*norms));
  }

  if (model.task == Task::regression) {
    const Matrix predicted = model.predict(data.inputs);
    const Index targets = data.targets.cols();
    std::vector<TargetColumn> columns;
    for (Index t = 0; t < targets; ++t) {
      TargetColumn column;
      column.name = model.target_names.at(static_cast<std::size_t>(t));
      column.index = t;
      for (Index r = 0; r < data.rows(); ++r) {
        column.actual.push_back(data.targets(r, t));
        column.predicted.push_back(predicted(r, t));
      }
      columns.push_back(std::move(column));
    }

    // A curve or a heat map sweeps its inputs over a continuous range, which 0/1 category inputs
    // do not have, because a point halfway between two categories matches no possible row.
    const InputEncoding encoding = model.encoding();
    const auto categorical = std::find_if(encoding.columns().begin(), encoding.columns().end(),
                                          [](const InputColumn& column) { return column.is_categorical(); });
    if (categorical != encoding.columns().end()) {
      result.notes.push_back(fmt::format("Fitted curve and heat maps: input column '{}' is categorical, and they are drawn "
                                         "over numeric inputs only.",
                                         categorical->name));
    } else if (model.input_width() == 1) {
      for (Index t = 0; t < targets; ++t) figures.push_back(report_detail::fit_curve_figure(figure_name("fit", t, targets), model, data, t));
      if (const auto reason = decomposition_unsupported_reason(model)) {
        result.notes.push_back(fmt::format("Hidden-unit decomposition: {}.", *reason));
      } else {
        const std::vector<float> grid = decomposition_grid(model, &data);
        for (Index t = 0; t < targets; ++t) {
          const Decomposition parts = decompose(model, grid, t);
          figures.push_back(report_detail::units_figure(figure_name("units", t, targets), model, parts, &data, options.top_units));
        }
      }
    } else if (model.input_width() == 2) {
      for (const TargetColumn& column : columns) {
        figures.push_back(report_detail::target_map_figure(figure_name("target_map", column.index, targets), model, data, column));
        figures.push_back(report_detail::fit_map_figure(figure_name("fit_map", column.index, targets), model, data, column));
        figures.push_back(report_detail::error_map_figure(figure_name("error_map", column.index, targets), data, column));
      }
    } else {
      result.notes.push_back(fmt::format("Fitted curve and heat maps: the model has {} inputs; they are drawn for one or two.",
                                         model.input_width()));
    }
    for (const TargetColumn& column : columns) {
      figures.push_back(report_detail::parity_figure(figure_name("parity", column.index, targets), column));
      figures.push_back(report_detail::residuals_figure(figure_name("residuals", column.index, targets), column));
    }
  } else {
    const std::vector<Index> true_classes = model_class_ids(model, data);
    const std::vector<Index> predicted_classes = model.predict_classes(data.inputs);
    figures.push_back(report_detail::confusion_figure("confusion", model.class_names, true_classes, predicted_classes));
  }

  check_spares_inputs(directory, figures, options.inputs);
  for (const GnuplotFigure& figure : figures) result.figures.push_back(draw(figure, directory, request));
  result.html = directory / "report.html";
  write_file_atomically(result.html, report_html(model, data, history, directory, result.figures, result.notes));
  return result;
}

FigureFile write_units_figure(const Model& model, const Decomposition& parts, const Dataset* data, const std::filesystem::path& path,
                              const ReportOptions& options) {
  const std::string extension = path.extension().string();
  if (extension != ".svg" && extension != ".png") {
    throw Error(fmt::format("cannot tell the figure format of {}", quote_value(path.string())),
                "give a file name ending in .svg or .png");
  }
  // The stem names the data and script files and goes into gnuplot strings; keep it to safe
  // characters.
  const std::string stem = path.stem().string();
  const bool safe_stem = !stem.empty() && std::all_of(stem.begin(), stem.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!safe_stem) {
    throw Error(fmt::format("invalid figure file name {}", quote_value(path.filename().string())),
                "use letters, digits, '.', '_' and '-' in the file name");
  }
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  check_outputs_spare_inputs({path, directory / (stem + ".dat"), directory / (stem + ".gp")}, options.inputs, "figure",
                             "choose another figure name with -o, or move the input file out of its folder");
  check_gnuplot(options.gnuplot);
  create_report_directory(directory);
  GnuplotFigure figure = report_detail::units_figure(stem, model, parts, data, options.top_units);
  return draw(figure, directory, render_request(options, extension == ".svg", extension == ".png"));
}

}  // namespace protean
