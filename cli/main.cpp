// protean: the command-line front end. Everything it does goes through the public library API;
// this layer parses options, prints, and maps failures to exit codes:
//   0 success, 1 bad input or a failed operation (message on stderr), 2 invalid command line,
//   128 + N when signal N (SIGINT, SIGTERM) stopped `protean fit`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "protean/error.hpp"
#include "protean/kernels/blas_kernels.hpp"
#include "run_control.hpp"

int main(int argc, char** argv) {
  protean::restart_with_faster_blas_kernels(argv);
  CLI::App app{"protean: fit neural networks to data as universal function approximators"};
  app.set_version_flag("--version",
                       std::string("protean ") + PROTEAN_VERSION + " (OpenBLAS kernels: " + protean::blas_kernels() + ")");
  app.require_subcommand(1);
  // Options such as --quiet are accepted after the subcommand too. Subcommands inherit this
  // setting when they are created, so it comes first.
  app.fallthrough();
  protean::cli::GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "Print nothing but errors and warnings");
  protean::cli::add_fit_command(app, global);
  protean::cli::add_predict_command(app, global);
  protean::cli::add_eval_command(app, global);
  protean::cli::add_info_command(app, global);
  protean::cli::add_report_command(app, global);
  protean::cli::add_explain_command(app, global);

  // CLI11 reports an unknown command as "A subcommand is required", so name it here. The global
  // options are flags without values, so the first argument that is not an option is the command.
  std::string command_name;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument.starts_with("-")) continue;
    command_name = argument;
    std::string names;
    bool known = false;
    for (const CLI::App* command : app.get_subcommands({})) {
      known = known || command->get_name() == argument;
      names += (names.empty() ? "" : ", ") + command->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "unknown command '%s'; use one of %s (protean --help describes them)\n", argument.c_str(),
                   names.c_str());
      return 2;
    }
    break;
  }

  // Messages go to stdout and warnings and errors to stderr, which writes at once. Redirected to
  // one file, a fully buffered stdout would put its lines after a later error. So stdout is
  // flushed at each line, except for predict, whose stdout may be a large table of predictions.
  if (command_name != "predict") std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const protean::cli::ExitCode& exit) {
    return exit.code;
  } catch (const protean::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: out of memory; use a smaller batch size, fewer units, or less data\n");
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
