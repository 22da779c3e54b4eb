// Internal: figure descriptions as gnuplot scripts, and running gnuplot on them.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace protean::report_detail {

// One figure: the data file and the gnuplot commands that draw it. `commands` refers to the data
// as the file NAME.dat (blocks separated by two blank lines, selected with `index`); the
// terminal and output settings are added by render_figure().
struct GnuplotFigure {
  std::string name;   // file stem
  std::string title;  // drawn as the title, and used as the SVG's <title>
  std::string data;
  std::string commands;
};

struct RenderRequest {
  bool svg = true;
  bool png = true;
  int width = 960;
  int height = 600;
  std::string program = "gnuplot";
};

// Writes NAME.dat and NAME.gp into `directory`, runs gnuplot there to draw NAME.svg and NAME.png
// into temporary files, and renames them into place. Running `gnuplot NAME.gp` by hand redraws
// both. Errors: the program is missing (names the Debian package) or fails (quotes its output).
void render_figure(const GnuplotFigure& figure, const std::filesystem::path& directory, const RenderRequest& request);

// Quotes text as a gnuplot single-quoted string; control characters become spaces.
std::string gnuplot_string(std::string_view text);

// Formats a number for a data file: shortest round-trip form, "NaN" for a missing value.
std::string data_number(double value);

}  // namespace protean::report_detail
