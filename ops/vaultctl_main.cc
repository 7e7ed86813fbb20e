// vaultctl: the operator tool. Online subcommands talk to vaultd over
// HTTP(S) (--addr / VAULTCTL_ADDR, --api-key / VAULTCTL_API_KEY); offline
// ones (receipts verify, audit verify --file, backup verify/restore) work on
// files. Exit status: 0 success, 1 the server refused or failed, the server
// was unreachable or a check failed, 2 usage error. Errors are one line on
// standard error; --json prints the server's answers as JSON on standard out.
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/api.pb.h"
#include "crypto/encoding.h"
#include "ops/client.h"
#include "ops/offline.h"
#include "ops/progress.h"
#include "vault/backup.h"
#include "vault/lifecycle.h"
#include "vault/strings.h"
#include "vault/vault.h"

namespace vault::ops {
namespace {

namespace v1 = api::v1;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct Globals {
  ClientOptions client;
  bool json = false;
  int timeout_s = 30;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "vaultctl: error: %s\n", std::string(status.message()).c_str());
  return kFailed;
}
int Usage(const std::string& message) {
  std::fprintf(stderr, "vaultctl: usage error: %s\n", message.c_str());
  return kUsage;
}

absl::StatusOr<std::unique_ptr<VaultClient>> Connect(const Globals& g) {
  ClientOptions options = g.client;
  options.timeout = std::chrono::seconds(g.timeout_s);
  return VaultClient::Create(std::move(options));
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  out << in.rdbuf();
  return out.str();
}

// Reads the vault's public key from --public-key (base64) or
// --public-key-file (base64 or the receipt-key JSON).
absl::StatusOr<std::string> PublicKeyFrom(const std::string& b64, const std::string& file) {
  if (!file.empty()) {
    absl::StatusOr<std::string> text = ReadFileOrStdin(file);
    if (!text.ok()) return text.status();
    return ParsePublicKey(*text);
  }
  return ParsePublicKey(b64);
}

// Prints the server's JSON answer (--json) or the human text.
int Done(const Globals& g, const VaultClient& c, const std::string& text) {
  if (g.json) {
    std::printf("%s\n", c.last_body().empty() ? "{}" : c.last_body().c_str());
  } else if (!text.empty()) {
    std::printf("%s\n", text.c_str());
  }
  return kOk;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// --- sys ---------------------------------------------------------------

int Status(const Globals& g) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  // Health answers 503 while sealed or uninitialised, with the same body.
  absl::StatusOr<HttpResult> r = (*c)->Send("GET", "/v1/sys/health");
  if (!r.ok()) return Fail(r.status());
  v1::HealthResponse health;
  const std::string& raw = r->body;
  if ((r->status != 200 && r->status != 503) || !ParseJson(raw, &health).ok()) {
    return Fail(absl::InternalError(Cat("unexpected health answer (HTTP ", r->status, ")")));
  }
  if (g.json) {
    std::printf("%s\n", raw.c_str());
  } else {
    std::printf("initialized: %s\nsealed: %s\nversion: %s\n", health.initialized() ? "yes" : "no",
                health.sealed() ? "yes" : "no", health.version().c_str());
  }
  return kOk;
}

int Init(const Globals& g, int shares, int threshold, const std::string& out_dir) {
  if (threshold < 2 || shares < threshold || shares > 255) {
    return Usage("need 2 <= --threshold <= --shares <= 255");
  }
  if (!out_dir.empty()) {
    if (absl::Status s = PrepareDataDir(out_dir); !s.ok()) return Fail(s);
  }
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::InitRequest in;
  in.set_shares(shares);
  in.set_threshold(threshold);
  v1::InitResponse out;
  if (absl::Status s = (*c)->Call("POST", "/v1/sys/init", &in, &out); !s.ok()) return Fail(s);
  if (!out_dir.empty()) {
    for (int i = 0; i < out.unseal_shares_size(); ++i) {
      if (absl::Status s = WritePrivateFile(Cat(out_dir, "/share-", i + 1), out.unseal_shares(i) + "\n");
          !s.ok()) {
        return Fail(s);
      }
    }
    if (absl::Status s = WritePrivateFile(Cat(out_dir, "/root-api-key"), out.root_api_key() + "\n");
        !s.ok()) {
      return Fail(s);
    }
    std::printf("initialised: %d shares (any %d unseal) and the root API key written to %s "
                "(share-1..share-%d, root-api-key, mode 0600). Give each share to a different "
                "person and delete these files. The vault is sealed.\n",
                shares, threshold, out_dir.c_str(), shares);
    return kOk;
  }
  if (g.json) return Done(g, **c, "");
  std::printf("Unseal shares (any %d of %d unseal the vault; give each to a different person):\n",
              threshold, shares);
  for (int i = 0; i < out.unseal_shares_size(); ++i) {
    std::printf("  share %d: %s\n", i + 1, out.unseal_shares(i).c_str());
  }
  std::printf("Root API key (shown once): %s\nThe vault is sealed: run `vaultctl unseal`.\n",
              out.root_api_key().c_str());
  return kOk;
}

// A share from the terminal without echo.
std::string PromptHidden(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios old {};
  const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fprintf(stderr, "\n");
  return line;
}

int Unseal(const Globals& g) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  v1::UnsealResponse out;
  int submitted = 0;
  for (;;) {
    std::string share;
    if (terminal) {
      share = PromptHidden("unseal share (input hidden; empty line to stop): ");
    } else if (!std::getline(std::cin, share)) {
      break;
    }
    while (!share.empty() && (share.back() == '\r' || share.back() == ' ')) share.pop_back();
    if (share.empty()) {
      if (terminal) break;
      continue;
    }
    v1::UnsealRequest in;
    in.set_share(share);
    crypto::SecureWipe(share);
    absl::Status s = (*c)->Call("POST", "/v1/sys/unseal", &in, &out);
    crypto::SecureWipe(*in.mutable_share());
    if (!s.ok()) return Fail(s);
    ++submitted;
    if (!out.sealed()) break;
    if (terminal) std::fprintf(stderr, "progress: %d of %d shares\n", out.progress(), out.threshold());
  }
  if (submitted == 0) return Usage("no share given (pipe shares on standard input, one per line)");
  if (g.json) return Done(g, **c, "");
  if (out.sealed()) {
    std::printf("sealed: %d of %d shares given\n", out.progress(), out.threshold());
    return kOk;
  }
  std::printf("unsealed\n");
  return kOk;
}

int Simple(const Globals& g, const std::string& method, const std::string& path,
           const google::protobuf::Message* in, const std::string& text) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  if (absl::Status s = (*c)->Call(method, path, in, nullptr); !s.ok()) return Fail(s);
  return Done(g, **c, text);
}

// --- keys and jobs -----------------------------------------------------

int PrintKeys(const Globals& g, VaultClient& c, const v1::KeyList& keys) {
  if (g.json) return Done(g, c, "");
  std::printf("%-8s %-10s %s\n", "VERSION", "STATE", "CREATED");
  for (const v1::KeyVersion& k : keys.versions()) {
    std::printf("%-8d %-10s %s\n", k.version(), k.state().c_str(), k.created_at().c_str());
  }
  return kOk;
}

int Keys(const Globals& g, const std::string& tenant, const std::string& what) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::KeyList keys;
  const std::string path = Cat("/v1/tenants/", tenant, "/keys", what == "list" ? "" : "/rotate");
  if (absl::Status s = (*c)->Call(what == "list" ? "GET" : "POST", path, nullptr, &keys); !s.ok()) {
    return Fail(s);
  }
  return PrintKeys(g, **c, keys);
}

// Follows a job until it ends; 0 when done.
int FollowJob(const Globals& g, VaultClient& c, const std::string& job_id, bool wait) {
  Progress progress(stderr, Cat("rewrap ", job_id), ::isatty(STDERR_FILENO) == 1);
  v1::JobResponse job;
  for (;;) {
    if (absl::Status s = c.Call("GET", Cat("/v1/jobs/", job_id), nullptr, &job); !s.ok()) {
      return Fail(s);
    }
    if (!wait || job.state() != "running") break;
    progress.Update(static_cast<uint64_t>(job.done()), static_cast<uint64_t>(job.total()),
                    job.state());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (wait) progress.Finish(Cat(job.state(), " ", static_cast<uint64_t>(job.done()), "/",
                                static_cast<uint64_t>(job.total())));
  if (g.json) {
    std::printf("%s\n", c.last_body().c_str());
  } else if (!wait) {
    std::printf("job %s: %s %llu/%llu\n", job_id.c_str(), job.state().c_str(),
                static_cast<unsigned long long>(job.done()),
                static_cast<unsigned long long>(job.total()));
  }
  if (job.state() == "failed") {
    return Fail(absl::AbortedError(Cat("job ", job_id, " failed: ", job.error())));
  }
  return kOk;
}

int Rewrap(const Globals& g, const std::string& tenant, bool wait) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::JobResponse job;
  if (absl::Status s = (*c)->Call("POST", Cat("/v1/tenants/", tenant, "/keys/rewrap"), nullptr, &job);
      !s.ok()) {
    return Fail(s);
  }
  if (!g.json) std::fprintf(stderr, "rewrap job %s started\n", job.job_id().c_str());
  return FollowJob(g, **c, job.job_id(), wait);
}

// --- offline ----------------------------------------------------------

int VerifyReceipt(const Globals& g, const std::string& file, const std::string& key_b64,
                  const std::string& key_file) {
  absl::StatusOr<std::string> key = PublicKeyFrom(key_b64, key_file);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  absl::StatusOr<std::string> json = ReadFileOrStdin(file);
  if (!json.ok()) return Fail(json.status());
  absl::StatusOr<records::ErasureReceipt> receipt = ParseReceiptJson(*json);
  if (!receipt.ok()) return Fail(receipt.status());
  const bool ok = vault::VerifyReceipt(*receipt, *key).ok();
  if (g.json) {
    std::printf("{\"ok\":%s,\"erasure_id\":\"%s\"}\n", ok ? "true" : "false",
                receipt->erasure_id().c_str());
  } else if (ok) {
    std::printf("receipt %s verifies: tenant %s, subject %s, shredded at %s, key %s\n",
                receipt->erasure_id().c_str(), receipt->tenant().c_str(),
                receipt->subject().empty() ? "(whole tenant)" : receipt->subject().c_str(),
                receipt->shredded_at().c_str(), receipt->destroyed_key_id().c_str());
  }
  if (!ok) {
    return Fail(absl::PermissionDeniedError(
        Cat("receipt ", receipt->erasure_id(), " does NOT verify under the given public key")));
  }
  return kOk;
}

int AuditVerifyOnline(const Globals& g) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::AuditVerifyResponse v;
  if (absl::Status s = (*c)->Call("GET", "/v1/sys/audit/verify", nullptr, &v); !s.ok()) return Fail(s);
  if (g.json) {
    std::printf("%s\n", (*c)->last_body().c_str());
  } else if (v.ok()) {
    std::printf("audit chain verifies: %.0f entries, head %s\n", v.entries(), v.head().c_str());
  }
  if (!v.ok()) {
    return Fail(absl::DataLossError(Cat("audit chain does NOT verify: ", v.problem())));
  }
  return kOk;
}

int AuditVerifyFile(const Globals& g, const std::string& file, const std::string& key_b64,
                    const std::string& key_file) {
  absl::StatusOr<std::string> key = PublicKeyFrom(key_b64, key_file);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) return Fail(absl::NotFoundError(Cat("cannot read ", file)));
    in = &in_file;
  }
  absl::StatusOr<AuditExportCheck> check = VerifyAuditExport(*in, *key);
  if (!check.ok()) return Fail(check.status());
  const AuditVerification& v = check->chain;
  if (g.json) {
    std::printf("{\"ok\":%s,\"entries\":%llu,\"head\":\"%s\",\"last_checkpoint\":%llu,"
                "\"problem\":\"%s\"}\n",
                v.ok ? "true" : "false", static_cast<unsigned long long>(v.entries), v.head.c_str(),
                static_cast<unsigned long long>(check->last_checkpoint), v.problem.c_str());
  } else if (v.ok) {
    std::printf("audit export verifies: %llu entries, head %s; %s\n",
                static_cast<unsigned long long>(v.entries), v.head.c_str(),
                check->last_checkpoint == 0
                    ? "no signed checkpoint yet (the chain is consistent, but nothing ties it to the "
                      "vault's key; checkpoints come every 1000 entries)"
                    : Cat("signed checkpoints cover entries 1-", check->last_checkpoint,
                          " (entries after the last checkpoint are chained but not signed)")
                          .c_str());
  }
  if (!v.ok) {
    return Fail(absl::DataLossError(Cat("audit export does NOT verify at entry ", v.at_seq, ": ",
                                        v.problem)));
  }
  return kOk;
}

int AuditExport(const Globals& g, const std::string& out_path) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    // Created 0600 before it is opened for writing (the log names subjects).
    if (absl::Status s = WritePrivateFile(out_path, ""); !s.ok()) return Fail(s);
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(absl::UnavailableError(Cat("cannot write ", out_path)));
    out = &file;
  }
  uint64_t after = 0;
  for (;;) {
    std::map<std::string, std::string> headers;
    absl::StatusOr<std::string> page = (*c)->CallRaw(
        "GET", Cat("/v1/sys/audit/export?limit=10000&after_seq=", after), "", {}, &headers);
    if (!page.ok()) return Fail(page.status());
    *out << *page;
    auto next = headers.find("x-next-after-seq");
    if (next == headers.end()) break;
    uint64_t n = 0;
    if (!absl::SimpleAtoi(next->second, &n) || n <= after) {
      return Fail(absl::InternalError("bad paging header from the server"));
    }
    after = n;
  }
  out->flush();
  if (!*out) return Fail(absl::UnavailableError("writing the export failed"));
  return kOk;
}

// --- backups ------------------------------------------------------------

int BackupCreate(const Globals& g, const std::string& name) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::BackupRequest in;
  in.set_name(name);
  v1::BackupResponse out;
  if (absl::Status s = (*c)->Call("POST", "/v1/sys/backups", &in, &out); !s.ok()) return Fail(s);
  return Done(g, **c,
              Cat("backup ", out.name(), " written on the server at ", out.path(), ": ",
                  static_cast<uint64_t>(out.files()), " files, ", static_cast<uint64_t>(out.bytes()),
                  " bytes, ", static_cast<uint64_t>(out.ledger_entries()), " erasures in its ledger"));
}

int BackupVerify(const Globals& g, const std::string& dir, const std::string& key_b64,
                 const std::string& key_file) {
  std::string key;
  if (!key_b64.empty() || !key_file.empty()) {
    absl::StatusOr<std::string> parsed = PublicKeyFrom(key_b64, key_file);
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    key = *parsed;
  }
  absl::StatusOr<BackupSummary> summary = VerifyBackup(dir, key);
  if (!summary.ok()) return Fail(absl::DataLossError(Cat("backup does NOT verify: ", summary.status().message())));
  if (g.json) {
    std::printf("{\"ok\":true,\"files\":%llu,\"bytes\":%llu,\"ledger_entries\":%llu}\n",
                static_cast<unsigned long long>(summary->files),
                static_cast<unsigned long long>(summary->bytes),
                static_cast<unsigned long long>(summary->ledger_entries));
  } else {
    std::printf("backup verifies: %llu files, %llu bytes, %llu erasures in its ledger%s\n",
                static_cast<unsigned long long>(summary->files),
                static_cast<unsigned long long>(summary->bytes),
                static_cast<unsigned long long>(summary->ledger_entries),
                key.empty() ? " (signature checked against the key the backup names; pass "
                              "--public-key to check it against the vault's)"
                            : "");
  }
  return kOk;
}

int BackupRestore(const Globals& g, const std::string& dir, const std::string& data_dir,
                  const std::string& ledger_file, bool no_newer_ledger, const std::string& key_b64,
                  const std::string& key_file) {
  std::string key;
  if (!key_b64.empty() || !key_file.empty()) {
    absl::StatusOr<std::string> parsed = PublicKeyFrom(key_b64, key_file);
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    key = *parsed;
  }
  if (ledger_file.empty() == !no_newer_ledger) {
    return Usage("give the newest shred ledger with --ledger FILE (vaultctl ledger export), or "
                 "state --no-newer-ledger to restore without replaying erasures made after the "
                 "backup");
  }
  LedgerFile ledger_data;
  if (!ledger_file.empty()) {
    absl::StatusOr<std::string> json = ReadFileOrStdin(ledger_file);
    if (!json.ok()) return Fail(json.status());
    absl::StatusOr<LedgerFile> parsed = ParseLedgerJson(*json);
    if (!parsed.ok()) return Fail(parsed.status());
    ledger_data = std::move(*parsed);
    if (!ledger_data.state.has_value()) {
      std::fprintf(stderr, "vaultctl: warning: the ledger file has no live state: cancelled "
                           "erasures, holds and deleted principals are as in the backup\n");
    }
  }
  absl::StatusOr<RestoreReport> report =
      RestoreBackup(dir, data_dir, ledger_data.receipts, key,
                    ledger_data.state.has_value() ? &*ledger_data.state : nullptr);
  if (!report.ok()) return Fail(report.status());
  if (g.json) {
    std::printf("{\"ok\":true,\"replayed_subjects\":%llu,\"replayed_tenants\":%llu,"
                "\"already_in_backup\":%llu,\"live_state_applied\":%s,\"erasures_cancelled\":%llu,"
                "\"erasures_requested\":%llu,\"holds\":%llu,\"principals_removed\":%llu}\n",
                static_cast<unsigned long long>(report->replayed_subjects),
                static_cast<unsigned long long>(report->replayed_tenants),
                static_cast<unsigned long long>(report->already_in_backup),
                report->live_state_applied ? "true" : "false",
                static_cast<unsigned long long>(report->live.erasures_cancelled),
                static_cast<unsigned long long>(report->live.erasures_requested),
                static_cast<unsigned long long>(report->live.holds),
                static_cast<unsigned long long>(report->live.principals_removed));
  } else {
    if (report->live_state_applied) {
      std::printf("live state applied: %llu pending erasures cancelled since, %llu requested "
                  "since, %llu holds, %llu principals deleted since removed\n",
                  static_cast<unsigned long long>(report->live.erasures_cancelled),
                  static_cast<unsigned long long>(report->live.erasures_requested),
                  static_cast<unsigned long long>(report->live.holds),
                  static_cast<unsigned long long>(report->live.principals_removed));
    }
    std::printf("restored into %s: %llu receipts given, %llu subject and %llu tenant erasures "
                "replayed, %llu already in the backup. Start vaultd on it and unseal with the "
                "vault's shares.\n",
                data_dir.c_str(), static_cast<unsigned long long>(report->receipts),
                static_cast<unsigned long long>(report->replayed_subjects),
                static_cast<unsigned long long>(report->replayed_tenants),
                static_cast<unsigned long long>(report->already_in_backup));
  }
  return kOk;
}

int LedgerExport(const Globals& g, const std::string& out_path) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::ShredLedgerResponse ledger;
  if (absl::Status s = (*c)->Call("GET", "/v1/sys/shred-ledger", nullptr, &ledger); !s.ok()) {
    return Fail(s);
  }
  const std::string json = ToJson(ledger);
  if (out_path == "-") {
    std::printf("%s\n", json.c_str());
    return kOk;
  }
  if (absl::Status s = WritePrivateFile(out_path, json + "\n"); !s.ok()) return Fail(s);
  if (!g.json) std::printf("%d receipts written to %s\n", ledger.receipts_size(), out_path.c_str());
  return kOk;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"vaultctl: operator tool for vaultd (init, unseal, keys, erasure, audit, backups)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  Globals g;
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
  app.add_option("--timeout", g.timeout_s, "seconds to wait for each answer")->check(CLI::Range(1, 3600));
  app.add_flag("--json", g.json, "machine-readable output (the server's JSON)");

  int result = kOk;
  auto run = [&result](std::function<int()> fn) { return [&result, fn]() { result = fn(); }; };

  // sys
  app.add_subcommand("status", "initialised/sealed state")->callback(run([&] { return Status(g); }));
  auto* init = app.add_subcommand("init", "initialise with Shamir unseal shares");
  int shares = 5, threshold = 3;
  std::string shares_dir;
  init->add_option("--shares", shares, "number of shares (default 5)");
  init->add_option("--threshold", threshold, "shares needed to unseal (default 3)");
  init->add_option("--out-dir", shares_dir,
                   "write each share and the root key to a file here (0600) instead of printing");
  init->callback(run([&] { return Init(g, shares, threshold, shares_dir); }));
  app.add_subcommand("unseal",
                     "submit unseal shares: prompted without echo, or one per line on standard "
                     "input (never on the command line)")
      ->callback(run([&] { return Unseal(g); }));
  app.add_subcommand("seal", "seal the vault (drops every key from memory)")
      ->callback(run([&] { return Simple(g, "POST", "/v1/sys/seal", nullptr, "sealed"); }));
  app.add_subcommand("rotate-root", "rotate the root key (everything it wraps is rewrapped)")
      ->callback(run([&] {
        absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
        if (!c.ok()) return Usage(std::string(c.status().message()));
        v1::RotateRootResponse out;
        if (absl::Status s = (*c)->Call("POST", "/v1/sys/rotate-root", nullptr, &out); !s.ok()) {
          return Fail(s);
        }
        return Done(g, **c, Cat("root key rotated: version ", out.root_key_version()));
      }));

  // keys
  auto* keys = app.add_subcommand("keys", "tenant key-encryption keys");
  keys->require_subcommand(1);
  std::string tenant;
  bool no_wait = false;
  for (const char* what : {"list", "rotate"}) {
    auto* sub = keys->add_subcommand(what, std::string(what) == "list"
                                               ? "list the tenant's key versions"
                                               : "make a new active version (online)");
    sub->add_option("--tenant", tenant, "tenant id")->required();
    sub->callback(run([&, w = std::string(what)] { return Keys(g, tenant, w); }));
  }
  auto* rewrap = keys->add_subcommand(
      "rewrap", "shred epoch: rotate, rewrap every data key, destroy older versions (a job)");
  rewrap->add_option("--tenant", tenant, "tenant id")->required();
  rewrap->add_flag("--no-wait", no_wait, "start the job and return");
  rewrap->callback(run([&] { return Rewrap(g, tenant, !no_wait); }));
  auto* jobs = app.add_subcommand("jobs", "background jobs");
  jobs->require_subcommand(1);
  std::string job_id;
  bool wait = false;
  auto* job_get = jobs->add_subcommand("get", "a job's state and progress");
  job_get->add_option("job_id", job_id, "job id")->required();
  job_get->add_flag("--wait", wait, "follow the job until it ends");
  job_get->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    return FollowJob(g, **c, job_id, wait);
  }));

  // tenants, roles, principals
  auto* tenants = app.add_subcommand("tenants", "tenants");
  tenants->require_subcommand(1);
  std::string residency;
  bool yes = false;
  auto* tenant_create = tenants->add_subcommand("create", "create a tenant");
  tenant_create->add_option("tenant", tenant, "tenant id")->required();
  tenant_create->add_option("--residency", residency, "residency tag");
  tenant_create->callback(run([&] {
    v1::Tenant in;
    in.set_id(tenant);
    in.set_residency(residency);
    return Simple(g, "POST", "/v1/tenants", &in, Cat("tenant ", tenant, " created"));
  }));
  auto* tenant_get = tenants->add_subcommand("get", "show a tenant");
  tenant_get->add_option("tenant", tenant, "tenant id")->required();
  tenant_get->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    v1::Tenant out;
    if (absl::Status s = (*c)->Call("GET", Cat("/v1/tenants/", tenant), nullptr, &out); !s.ok()) {
      return Fail(s);
    }
    return Done(g, **c, Cat("tenant ", out.id(), " residency '", out.residency(), "' created ",
                            out.created_at()));
  }));
  auto* tenant_erase = tenants->add_subcommand("erase", "crypto-shred a whole tenant (irreversible)");
  tenant_erase->add_option("tenant", tenant, "tenant id")->required();
  tenant_erase->add_flag("--yes", yes, "confirm: every key and record of the tenant is destroyed");
  tenant_erase->callback(run([&] {
    if (!yes) return Usage("tenant erasure destroys every key of the tenant; add --yes");
    return Simple(g, "DELETE", Cat("/v1/tenants/", tenant), nullptr,
                  Cat("tenant ", tenant, " erased (receipt: use --json)"));
  }));

  auto* roles = app.add_subcommand("roles", "roles of a tenant");
  roles->require_subcommand(1);
  auto* roles_list = roles->add_subcommand("list", "list roles");
  roles_list->add_option("--tenant", tenant, "tenant id")->required();
  roles_list->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    v1::RoleList out;
    if (absl::Status s = (*c)->Call("GET", Cat("/v1/tenants/", tenant, "/roles"), nullptr, &out);
        !s.ok()) {
      return Fail(s);
    }
    std::string text;
    for (const v1::Role& r : out.roles()) {
      text += Cat(text.empty() ? "" : "\n", r.name(), ": actions=", Join(r.actions()),
                  " types=", Join(r.types()), " max_reveal=", r.max_reveal(),
                  " purposes=", Join(r.purposes()), r.require_purpose() ? " (purpose required)" : "",
                  r.allow_deterministic() ? " (deterministic allowed)" : "");
    }
    return Done(g, **c, text);
  }));
  auto* role_put = roles->add_subcommand("put", "create or replace a role");
  std::string role_name, actions, types, max_reveal = "token_only", purposes;
  bool require_purpose = false, allow_deterministic = false;
  role_put->add_option("--tenant", tenant, "tenant id")->required();
  role_put->add_option("name", role_name, "role name")->required();
  role_put->add_option("--actions", actions, "comma-separated actions")->required();
  role_put->add_option("--types", types, "comma-separated data types (* = all)");
  role_put->add_option("--max-reveal", max_reveal, "token_only|masked|plain");
  role_put->add_option("--purposes", purposes, "comma-separated purposes");
  role_put->add_flag("--require-purpose", require_purpose, "calls must state a purpose");
  role_put->add_flag("--allow-deterministic", allow_deterministic,
                     "may make deterministic tokens of low-entropy types");
  role_put->callback(run([&] {
    v1::Role in;
    for (const std::string& a : SplitList(actions)) in.add_actions(a);
    for (const std::string& t : SplitList(types)) in.add_types(t);
    for (const std::string& p : SplitList(purposes)) in.add_purposes(p);
    in.set_max_reveal(max_reveal);
    in.set_require_purpose(require_purpose);
    in.set_allow_deterministic(allow_deterministic);
    return Simple(g, "PUT", Cat("/v1/tenants/", tenant, "/roles/", role_name), &in,
                  Cat("role ", role_name, " saved"));
  }));

  auto* principals = app.add_subcommand("principals", "API principals of a tenant");
  principals->require_subcommand(1);
  std::string principal_name, principal_roles, principal_id;
  auto* principal_create = principals->add_subcommand("create", "create a principal (prints its API key once)");
  principal_create->add_option("--tenant", tenant, "tenant id")->required();
  principal_create->add_option("--name", principal_name, "name")->required();
  principal_create->add_option("--roles", principal_roles, "comma-separated roles")->required();
  principal_create->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    v1::CreatePrincipalRequest in;
    in.set_name(principal_name);
    for (const std::string& r : SplitList(principal_roles)) in.add_roles(r);
    v1::PrincipalResponse out;
    if (absl::Status s = (*c)->Call("POST", Cat("/v1/tenants/", tenant, "/principals"), &in, &out);
        !s.ok()) {
      return Fail(s);
    }
    return Done(g, **c, Cat("principal ", out.id(), " (", out.name(), ")\napi key (shown once): ",
                            out.api_key()));
  }));
  auto* principal_delete = principals->add_subcommand(
      "delete", "delete a principal: its API key stops working at once (a leaked key)");
  principal_delete->add_option("--tenant", tenant, "tenant id")->required();
  principal_delete->add_option("id", principal_id, "principal id")->required();
  principal_delete->callback(run([&] {
    return Simple(g, "DELETE", Cat("/v1/tenants/", tenant, "/principals/", principal_id), nullptr,
                  Cat("principal ", principal_id, " deleted"));
  }));

  // erasure and holds
  auto* erasure = app.add_subcommand("erasure", "erasure requests of data subjects");
  erasure->require_subcommand(1);
  std::string subject, erasure_id, hold_id, reason;
  int64_t grace = 259200;
  auto* erasure_request = erasure->add_subcommand("request", "request an erasure (grace 0 = now)");
  erasure_request->add_option("--tenant", tenant, "tenant id")->required();
  erasure_request->add_option("subject", subject, "subject id")->required();
  erasure_request->add_option("--grace-seconds", grace, "grace period (default 259200: 3 days)")
      ->check(CLI::NonNegativeNumber);
  erasure_request->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    v1::ErasureRequest in;
    in.set_grace_seconds(grace);
    v1::ErasureResponse out;
    if (absl::Status s = (*c)->Call("POST", Cat("/v1/tenants/", tenant, "/subjects/", subject, "/erasure"),
                                    &in, &out);
        !s.ok()) {
      return Fail(s);
    }
    return Done(g, **c, out.state() == "done"
                            ? Cat("erasure ", out.erasure_id(), " done; receipt: use --json")
                            : Cat("erasure ", out.erasure_id(), " pending until ", out.due_at()));
  }));
  auto* erasure_cancel = erasure->add_subcommand("cancel", "cancel a pending erasure");
  erasure_cancel->add_option("--tenant", tenant, "tenant id")->required();
  erasure_cancel->add_option("subject", subject, "subject id")->required();
  erasure_cancel->callback(run([&] {
    return Simple(g, "DELETE", Cat("/v1/tenants/", tenant, "/subjects/", subject, "/erasure"),
                  nullptr, Cat("erasure of ", subject, " cancelled"));
  }));
  auto* erasure_get = erasure->add_subcommand("get", "an erasure's state (and receipt)");
  erasure_get->add_option("--tenant", tenant, "tenant id")->required();
  erasure_get->add_option("erasure_id", erasure_id, "erasure id")->required();
  erasure_get->callback(run([&] {
    absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
    if (!c.ok()) return Usage(std::string(c.status().message()));
    v1::ErasureResponse out;
    if (absl::Status s = (*c)->Call("GET", Cat("/v1/tenants/", tenant, "/erasures/", erasure_id),
                                    nullptr, &out);
        !s.ok()) {
      return Fail(s);
    }
    return Done(g, **c, Cat("erasure ", out.erasure_id(), ": ", out.state()));
  }));
  auto* holds = app.add_subcommand("holds", "legal holds");
  holds->require_subcommand(1);
  auto* hold_put = holds->add_subcommand("put", "place a hold (erasure waits while one exists)");
  hold_put->add_option("--tenant", tenant, "tenant id")->required();
  hold_put->add_option("subject", subject, "subject id")->required();
  hold_put->add_option("hold_id", hold_id, "hold id")->required();
  hold_put->add_option("--reason", reason, "why (no personal data)")->required();
  hold_put->callback(run([&] {
    v1::HoldRequest in;
    in.set_reason(reason);
    return Simple(g, "PUT", Cat("/v1/tenants/", tenant, "/subjects/", subject, "/holds/", hold_id),
                  &in, Cat("hold ", hold_id, " placed on ", subject));
  }));
  auto* hold_release = holds->add_subcommand("release", "release a hold");
  hold_release->add_option("--tenant", tenant, "tenant id")->required();
  hold_release->add_option("subject", subject, "subject id")->required();
  hold_release->add_option("hold_id", hold_id, "hold id")->required();
  hold_release->callback(run([&] {
    return Simple(g, "DELETE", Cat("/v1/tenants/", tenant, "/subjects/", subject, "/holds/", hold_id),
                  nullptr, Cat("hold ", hold_id, " released"));
  }));

  // receipts (offline verify)
  auto* receipts = app.add_subcommand("receipts", "erasure receipts");
  receipts->require_subcommand(1);
  std::string file, key_b64, key_file;
  auto* receipt_verify = receipts->add_subcommand(
      "verify", "verify a receipt offline against the vault's public key");
  receipt_verify->add_option("file", file, "receipt JSON (or an erasure answer), - = stdin")->required();
  auto* pk1 = receipt_verify->add_option("--public-key", key_b64, "vault public key, base64");
  auto* pk2 = receipt_verify->add_option("--public-key-file", key_file,
                                         "file with the key (base64 or receipt-key JSON)");
  pk1->excludes(pk2);
  receipt_verify->callback(run([&] {
    if (key_b64.empty() && key_file.empty()) return Usage("give --public-key or --public-key-file");
    return VerifyReceipt(g, file, key_b64, key_file);
  }));
  receipts->add_subcommand("key", "print the vault's public signing key (keep it)")
      ->callback(run([&] {
        absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
        if (!c.ok()) return Usage(std::string(c.status().message()));
        v1::ReceiptKeyResponse out;
        if (absl::Status s = (*c)->Call("GET", "/v1/sys/receipt-key", nullptr, &out); !s.ok()) {
          return Fail(s);
        }
        return Done(g, **c, out.public_key());
      }));

  // audit
  auto* audit = app.add_subcommand("audit", "the audit chain");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "verify the chain: online (the server walks it) or offline with --file");
  audit_verify->add_option("--file", file, "an export (vaultctl audit export), - = stdin");
  audit_verify->add_option("--public-key", key_b64, "offline: vault public key, base64");
  audit_verify->add_option("--public-key-file", key_file, "offline: file with the key");
  audit_verify->callback(run([&] {
    if (file.empty()) {
      if (!key_b64.empty() || !key_file.empty()) return Usage("--public-key goes with --file");
      return AuditVerifyOnline(g);
    }
    if (key_b64.empty() && key_file.empty()) return Usage("offline verification needs --public-key");
    return AuditVerifyFile(g, file, key_b64, key_file);
  }));
  std::string out_path = "-";
  auto* audit_export = audit->add_subcommand("export", "the whole chain as JSON lines");
  audit_export->add_option("--out", out_path, "output file (default standard output)");
  audit_export->callback(run([&] { return AuditExport(g, out_path); }));

  // backups and the ledger
  auto* backup = app.add_subcommand("backup", "backups");
  backup->require_subcommand(1);
  std::string name, dir, data_dir, ledger;
  bool no_newer_ledger = false;
  auto* backup_create = backup->add_subcommand(
      "create", "online backup into the server's --backup-dir (RocksDB checkpoint + keyring)");
  backup_create->add_option("name", name, "backup name (A-Z a-z 0-9 . _ -)")->required();
  backup_create->callback(run([&] { return BackupCreate(g, name); }));
  auto* backup_verify = backup->add_subcommand("verify", "check a backup folder offline");
  backup_verify->add_option("dir", dir, "backup folder")->required();
  backup_verify->add_option("--public-key", key_b64, "vault public key, base64");
  backup_verify->add_option("--public-key-file", key_file, "file with the key");
  backup_verify->callback(run([&] { return BackupVerify(g, dir, key_b64, key_file); }));
  auto* backup_restore = backup->add_subcommand(
      "restore", "offline: restore into a new data folder, replaying the shred ledger");
  backup_restore->add_option("dir", dir, "backup folder")->required();
  backup_restore->add_option("--data-dir", data_dir, "new data folder (absent or empty)")->required();
  backup_restore->add_option("--ledger", ledger,
                             "the newest shred ledger (vaultctl ledger export) to replay");
  backup_restore->add_flag("--no-newer-ledger", no_newer_ledger,
                           "restore without a newer ledger (erasures after the backup come back)");
  backup_restore->add_option("--public-key", key_b64, "check the backup against this key (base64)");
  backup_restore->add_option("--public-key-file", key_file, "file with the key");
  backup_restore->callback(run([&] {
    return BackupRestore(g, dir, data_dir, ledger, no_newer_ledger, key_b64, key_file);
  }));
  auto* ledger_cmd = app.add_subcommand("ledger", "the shred ledger");
  ledger_cmd->require_subcommand(1);
  auto* ledger_export = ledger_cmd->add_subcommand(
      "export", "every erasure receipt (keep it with the backups: restores replay it)");
  ledger_export->add_option("--out", out_path, "output file (default standard output)");
  ledger_export->callback(run([&] { return LedgerExport(g, out_path); }));

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
  return result;
}

}  // namespace vault::ops

int main(int argc, char** argv) { return vault::ops::Main(argc, argv); }
