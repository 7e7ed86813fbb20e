// vaultctl's shared command-line plumbing: the global flags, the exit codes,
// the one-line error output, and CallAndPrint, the one way a command
// connects, calls the server and prints text or (--json) the answer.
// Thread-safety: single-threaded (vaultctl). Never prints a secret that the
// command did not ask for (init and principal keys are the answers).
#ifndef VAULT_OPS_CLI_H_
#define VAULT_OPS_CLI_H_

#include <google/protobuf/message.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/vault_client.h"

namespace vault::ops {

namespace v1 = api::v1;
using client::VaultClient;

constexpr int kOk = 0;
constexpr int kFailed = 1;  // the server refused or failed, unreachable, a check failed
constexpr int kUsage = 2;

struct Globals {
  client::ClientOptions client;
  bool json = false;
  int timeout_s = 30;
  int result = kOk;  // the exit code of the command that ran
};

// "vaultctl: error: <message>" on standard error; kFailed.
int Fail(const absl::Status& status);
// "vaultctl: usage error: <message>" on standard error; kUsage.
int Usage(const std::string& message);

// A client for the global flags; a bad address is the caller's usage error.
[[nodiscard]] absl::StatusOr<std::unique_ptr<VaultClient>> Connect(const Globals& g);

// --json: the answer as vaultd prints it; else `text` (nothing when empty).
int PrintAnswer(const Globals& g, const google::protobuf::Message& answer, const std::string& text);

// Connects, calls, prints the answer (text(answer) or --json). `check`, when
// set, runs after printing: a failed check is a one-line error (exit 1).
template <typename Answer>
int CallAndPrint(const Globals& g, const std::function<absl::StatusOr<Answer>(VaultClient&)>& call,
                 const std::function<std::string(const Answer&)>& text,
                 const std::function<absl::Status(const Answer&)>& check = {}) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<Answer> answer = call(**c);
  if (!answer.ok()) return Fail(answer.status());
  PrintAnswer(g, *answer, g.json ? std::string() : text(*answer));
  if (check) {
    if (absl::Status s = check(*answer); !s.ok()) return Fail(s);
  }
  return kOk;
}

// Runs `command` when `sub` is chosen and keeps its exit code in g.result.
void OnRun(CLI::App* sub, Globals& g, std::function<int()> command);

// "a,b,,c" -> {"a","b","c"}.
std::vector<std::string> SplitList(const std::string& s);
// "a","b" -> "a,b".
std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items);
// A file's bytes, or standard input for "-".
[[nodiscard]] absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path);
// The vault's public key from --public-key (base64) or --public-key-file
// (base64 or the receipt-key JSON).
[[nodiscard]] absl::StatusOr<std::string> PublicKeyFrom(const std::string& b64,
                                                        const std::string& file);

// Each registers one group of subcommands (ops/cmd_*.cc).
void AddSysCommands(CLI::App& app, Globals& g);         // status init unseal seal rotate-root
void AddKeysCommands(CLI::App& app, Globals& g);        // keys jobs
void AddAdminCommands(CLI::App& app, Globals& g);       // tenants roles principals
void AddLifecycleCommands(CLI::App& app, Globals& g);   // erasure holds receipts
void AddAuditCommands(CLI::App& app, Globals& g);       // audit
void AddLedgerCommands(CLI::App& app, Globals& g);      // ledger (cmd_audit.cc)
void AddBackupCommands(CLI::App& app, Globals& g);      // backup
void AddReportCommands(CLI::App& app, Globals& g);      // report get|verify (cmd_report.cc)
void AddProcessorsCommands(CLI::App& app, Globals& g);  // processors (cmd_processors.cc)

}  // namespace vault::ops

#endif  // VAULT_OPS_CLI_H_
