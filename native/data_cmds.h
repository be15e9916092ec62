// `llm data` subcommands implemented outside native/cmd_data.cpp. cmd_data()
// dispatches to them; each takes the arguments after its own name (argv[0] is the
// subcommand name, e.g. "clean") and returns the process exit code.
#pragma once

namespace llm::cli {
int cmd_data_clean(int argc, char** argv);     // llm data clean ...
int cmd_data_stats(int argc, char** argv);     // llm data stats ...
int cmd_data_download(int argc, char** argv);  // llm data download tinystories ...
}  // namespace llm::cli
