#include "gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <vector>

#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/report/report.hpp"

extern char** environ;

namespace protean {

namespace report_detail {

namespace {

constexpr const char* kMissingGnuplotFix =
    "install it with 'apt-get install gnuplot-nox' (the Debian and Ubuntu package gnuplot-nox), or put gnuplot on PATH";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string svg_terminal(const RenderRequest& request) {
  return fmt::format("set terminal svg size {},{} font 'DejaVu Sans,13' background rgb 'white' noenhanced\n", request.width,
                     request.height);
}

std::string png_terminal(const RenderRequest& request) {
  return fmt::format("set terminal pngcairo size {},{} font 'DejaVu Sans,12' background rgb 'white' noenhanced\n",
                     request.width, request.height);
}

// The script draws into the files named by the variables svg_output and png_output. protean sets
// them to temporary names; run by hand, the script falls back to the final names.
std::string script_text(const GnuplotFigure& figure, const RenderRequest& request) {
  std::string script;
  script += fmt::format("# {}\n# Drawn by protean. Run 'gnuplot {}.gp' in this folder to redraw it.\n", figure.title, figure.name);
  script += fmt::format("if (!exists('svg_output')) svg_output = {}\n", gnuplot_string(figure.name + ".svg"));
  script += fmt::format("if (!exists('png_output')) png_output = {}\n", gnuplot_string(figure.name + ".png"));
  script += request.svg ? svg_terminal(request) : png_terminal(request);
  script += request.svg ? "set output svg_output\n" : "set output png_output\n";
  script += "set encoding utf8\n";
  script += "set datafile missing 'NaN'\n";
  script += "set border lw 1.2 lc rgb '#404040'\n";
  script += "set grid lw 0.8 lc rgb '#dddddd'\n";
  script += "set key opaque box lc rgb '#bbbbbb'\n";
  script += "set tics nomirror\n";
  script += "set title font ',16'\n";
  script += figure.commands;
  if (figure.commands.empty() || figure.commands.back() != '\n') script += '\n';
  script += "unset output\n";
  // The figure's commands end with its plot command, so `replot` repeats it on the PNG terminal.
  if (request.svg && request.png) {
    script += png_terminal(request);
    script += "set output png_output\nreplot\nunset output\n";
  }
  return script;
}

// Runs `argv` in `directory` with stdout and stderr sent to `log`. Returns the exit status, or
// throws when the program cannot be started.
int run_program(const std::vector<std::string>& argv, const std::filesystem::path& directory, const std::filesystem::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error == ENOENT) {
    throw Error(fmt::format("the program '{}' was not found; reports and figures are drawn with gnuplot", argv[0]),
                kMissingGnuplotFix);
  }
  if (spawn_error != 0) {
    throw Error(fmt::format("could not start '{}' in {}: {}", argv[0], directory.string(), std::strerror(spawn_error)),
                kMissingGnuplotFix);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("waiting for '{}' failed: {}", argv[0], std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::string gnuplot_string(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "''";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

std::string data_number(double value) {
  if (!std::isfinite(value)) return "NaN";
  return fmt::format("{}", value);
}

void render_figure(const GnuplotFigure& figure, const std::filesystem::path& directory, const RenderRequest& request) {
  write_file_atomically(directory / (figure.name + ".dat"), figure.data);
  write_file_atomically(directory / (figure.name + ".gp"), script_text(figure, request));

  const std::string svg_temp = fmt::format(".{}.svg.{}.tmp", figure.name, getpid());
  const std::string png_temp = fmt::format(".{}.png.{}.tmp", figure.name, getpid());
  const std::filesystem::path log = directory / fmt::format(".{}.log.{}.tmp", figure.name, getpid());
  const std::vector<std::string> argv = {
      request.program, "-e", fmt::format("svg_output = {}; png_output = {}", gnuplot_string(svg_temp), gnuplot_string(png_temp)),
      figure.name + ".gp"};

  const auto remove_temporaries = [&] {
    std::error_code ignored;
    std::filesystem::remove(directory / svg_temp, ignored);
    std::filesystem::remove(directory / png_temp, ignored);
    std::filesystem::remove(log, ignored);
  };
  int status = 0;
  try {
    status = run_program(argv, directory, log);
  } catch (...) {
    remove_temporaries();
    throw;
  }
  const std::string output = read_text(log);
  std::vector<std::pair<std::string, std::string>> produced;
  if (request.svg) produced.emplace_back(svg_temp, figure.name + ".svg");
  if (request.png) produced.emplace_back(png_temp, figure.name + ".png");
  bool complete = status == 0;
  for (const auto& [temp, final_name] : produced) {
    std::error_code error;
    if (std::filesystem::file_size(directory / temp, error) == 0 || error) complete = false;
  }
  if (!complete) {
    remove_temporaries();
    throw Error(fmt::format("gnuplot failed to draw the figure '{}' (exit status {}): {}", figure.name, status,
                            quote_value(output, 600)),
                fmt::format("check that gnuplot 5.4 or later with the svg and pngcairo terminals is installed; the script is {}",
                            (directory / (figure.name + ".gp")).string()));
  }

  // gnuplot writes files in place, so draw into temporary names and rename: a reader sees a
  // complete figure or the previous one.
  for (const auto& [temp, final_name] : produced) {
    std::error_code error;
    std::filesystem::rename(directory / temp, directory / final_name, error);
    if (error) {
      remove_temporaries();
      throw Error(fmt::format("could not rename {} to {}: {}", (directory / temp).string(), final_name, error.message()));
    }
  }
  remove_temporaries();
}

}  // namespace report_detail

bool program_available(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    if (directory.empty()) directory = ".";
    if (access((std::filesystem::path(directory) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace protean
