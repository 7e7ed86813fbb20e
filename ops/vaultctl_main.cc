// vaultctl: the operator tool. Online subcommands talk to vaultd over
// HTTP(S) (--addr / VAULTCTL_ADDR, --api-key / VAULTCTL_API_KEY) through
// client/'s VaultClient; offline ones (receipts verify, audit verify --file,
// backup verify/restore) work on files. Exit status: 0 success, 1 the server
// refused or failed, the server was unreachable or a check failed, 2 usage
// error. Errors are one line on standard error, with the server's code
// (e.g. GONE); --json prints the server's answers as JSON on standard out.
// The command groups are in ops/cmd_*.cc.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "ops/cli.h"

namespace vault::ops {
namespace {

void AddGlobalFlags(CLI::App& app, Globals& g) {
  const char* env_addr = std::getenv("VAULTCTL_ADDR");
  const char* env_key = std::getenv("VAULTCTL_API_KEY");
  if (env_addr != nullptr && *env_addr != '\0') g.client.addr = env_addr;
  if (env_key != nullptr) g.client.api_key = env_key;
  app.add_option("--addr", g.client.addr, "server address http(s)://HOST:PORT (env VAULTCTL_ADDR)");
  app.add_option("--api-key", g.client.api_key,
                 "API key (env VAULTCTL_API_KEY; prefer the environment: a flag shows in ps)");
  app.add_option("--ca-cert", g.client.ca_file, "https: trust this CA certificate (PEM)");
  app.add_option("--client-cert", g.client.client_cert, "https: client certificate (PEM)");
  app.add_option("--client-key", g.client.client_key, "https: client private key (PEM)");
  app.add_option("--timeout", g.timeout_s, "seconds to wait for each answer")
      ->check(CLI::Range(1, 3600));
  app.add_flag("--json", g.json, "machine-readable output (the server's JSON)");
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"vaultctl: operator tool for vaultd (init, unseal, keys, erasure, audit, backups)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  Globals g;
  AddGlobalFlags(app, g);
  AddSysCommands(app, g);
  AddKeysCommands(app, g);
  AddAdminCommands(app, g);
  AddLifecycleCommands(app, g);
  AddAuditCommands(app, g);
  AddBackupCommands(app, g);
  AddLedgerCommands(app, g);
  AddReportCommands(app, g);
  AddProcessorsCommands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "vaultctl: usage error: %s (see vaultctl --help)\n", e.what());
    return kUsage;
  }
  return g.result;
}

}  // namespace vault::ops

int main(int argc, char** argv) { return vault::ops::Main(argc, argv); }
