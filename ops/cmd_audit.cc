// vaultctl audit verify|export and ledger export.
// Thread-safety: single-threaded. Exports are created 0600 before anything is
// written (the audit log names subjects); they are never printed elsewhere.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "ops/cli.h"
#include "ops/offline.h"
#include "ops/results.pb.h"
#include "vault/backup/backup.h"
#include "vault/vault.h"

namespace vault::ops {
namespace {

struct Flags {
  std::string file, key_b64, key_file, out_path = "-";
};

int VerifyOnline(const Globals& g) {
  return CallAndPrint<v1::AuditVerifyResponse>(
      g, [](VaultClient& c) { return c.VerifyAudit(); },
      [](const v1::AuditVerifyResponse& v) {
        return v.ok() ? absl::StrFormat("audit chain verifies: %.0f entries, head %s", v.entries(),
                                        v.head())
                      : std::string();
      },
      [](const v1::AuditVerifyResponse& v) {
        return v.ok() ? absl::OkStatus()
                      : absl::DataLossError(
                            absl::StrCat("audit chain does NOT verify: ", v.problem()));
      });
}

std::string CheckpointNote(uint64_t last_checkpoint) {
  if (last_checkpoint == 0) {
    return "no signed checkpoint yet (the chain is consistent, but nothing ties it to the vault's "
           "key; checkpoints come every 1000 entries)";
  }
  return absl::StrCat("signed checkpoints cover entries 1-", last_checkpoint,
                      " (entries after the last checkpoint are chained but not signed)");
}

int VerifyFile(const Globals& g, const Flags& f) {
  absl::StatusOr<std::string> key = PublicKeyFrom(f.key_b64, f.key_file);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (f.file != "-") {
    in_file.open(f.file);
    if (!in_file) return Fail(absl::NotFoundError(absl::StrCat("cannot read ", f.file)));
    in = &in_file;
  }
  absl::StatusOr<AuditExportCheck> check = VerifyAuditExport(*in, *key);
  if (!check.ok()) return Fail(check.status());
  const AuditVerification& v = check->chain;
  if (g.json) {
    results::AuditFileCheck out;
    out.set_ok(v.ok);
    out.set_entries(static_cast<double>(v.entries));
    out.set_head(v.head);
    out.set_last_checkpoint(static_cast<double>(check->last_checkpoint));
    out.set_problem(v.problem);
    PrintAnswer(g, out, "");
  } else if (v.ok) {
    std::printf("audit export verifies: %llu entries, head %s; %s\n",
                static_cast<unsigned long long>(v.entries), v.head.c_str(),
                CheckpointNote(check->last_checkpoint).c_str());
  }
  if (!v.ok) {
    return Fail(absl::DataLossError(
        absl::StrCat("audit export does NOT verify at entry ", v.at_seq, ": ", v.problem)));
  }
  return kOk;
}

int Export(const Globals& g, const std::string& out_path) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    // Created 0600 before it is opened for writing (the log names subjects).
    if (absl::Status s = WritePrivateFile(base::Env::Posix(), out_path, ""); !s.ok()) {
      return Fail(s);
    }
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", out_path)));
    out = &file;
  }
  uint64_t after = 0;
  do {
    absl::StatusOr<client::AuditPage> page = (*c)->ExportAudit(after, 10000);
    if (!page.ok()) return Fail(page.status());
    *out << page->lines;
    after = page->next_after_seq;
  } while (after != 0);
  out->flush();
  if (!*out) return Fail(absl::UnavailableError("writing the export failed"));
  return kOk;
}

int LedgerExport(const Globals& g, const std::string& out_path) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<v1::ShredLedgerResponse> ledger = (*c)->ShredLedger();
  if (!ledger.ok()) return Fail(ledger.status());
  const std::string json = client::ToJson(*ledger);
  if (out_path == "-") {
    std::printf("%s\n", json.c_str());
    return kOk;
  }
  if (absl::Status s = WritePrivateFile(base::Env::Posix(), out_path, json + "\n"); !s.ok()) {
    return Fail(s);
  }
  if (!g.json)
    std::printf("%d receipts written to %s\n", ledger->receipts_size(), out_path.c_str());
  return kOk;
}

}  // namespace

void AddAuditCommands(CLI::App& app, Globals& g) {
  auto f = std::make_shared<Flags>();
  auto* audit = app.add_subcommand("audit", "the audit chain");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "verify the chain: online (the server walks it) or offline with --file");
  verify->add_option("--file", f->file, "an export (vaultctl audit export), - = stdin");
  verify->add_option("--public-key", f->key_b64, "offline: vault public key, base64");
  verify->add_option("--public-key-file", f->key_file, "offline: file with the key");
  OnRun(verify, g, [&g, f] {
    if (f->file.empty()) {
      if (!f->key_b64.empty() || !f->key_file.empty())
        return Usage("--public-key goes with --file");
      return VerifyOnline(g);
    }
    if (f->key_b64.empty() && f->key_file.empty()) {
      return Usage("offline verification needs --public-key");
    }
    return VerifyFile(g, *f);
  });
  auto* exp = audit->add_subcommand("export", "the whole chain as JSON lines");
  exp->add_option("--out", f->out_path, "output file (default standard output)");
  OnRun(exp, g, [&g, f] { return Export(g, f->out_path); });
}

void AddLedgerCommands(CLI::App& app, Globals& g) {
  auto out_path = std::make_shared<std::string>("-");
  auto* ledger = app.add_subcommand("ledger", "the shred ledger");
  ledger->require_subcommand(1);
  auto* exp = ledger->add_subcommand(
      "export", "every erasure receipt (keep it with the backups: restores replay it)");
  exp->add_option("--out", *out_path, "output file (default standard output)");
  OnRun(exp, g, [&g, out_path] { return LedgerExport(g, *out_path); });
}

}  // namespace vault::ops
