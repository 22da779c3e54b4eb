// The `protean` subcommands. Each add_*_command registers its options on the parent app and a
// callback that runs it; errors propagate as protean::Error and main() turns them into a
// message on stderr and exit code 1.
#pragma once

#include <CLI/CLI.hpp>

namespace protean::cli {

struct GlobalOptions {
  bool quiet = false;
};

void add_fit_command(CLI::App& app, const GlobalOptions& global);
void add_predict_command(CLI::App& app, const GlobalOptions& global);
void add_eval_command(CLI::App& app, const GlobalOptions& global);
void add_info_command(CLI::App& app, const GlobalOptions& global);
void add_report_command(CLI::App& app, const GlobalOptions& global);
void add_explain_command(CLI::App& app, const GlobalOptions& global);

}  // namespace protean::cli
