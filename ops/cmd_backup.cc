// vaultctl backup create (online) and backup verify|restore (offline, on
// folders). Thread-safety: single-threaded. Restore never writes into a
// data folder that is not absent or empty (RestoreBackup checks).
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ops/cli.h"
#include "ops/offline.h"
#include "ops/results.pb.h"
#include "vault/backup/backup.h"

namespace vault::ops {
namespace {

using ull = unsigned long long;

struct Flags {
  std::string name, dir, data_dir, ledger, key_b64, key_file, expires_in;
  bool no_newer_ledger = false;
};

// The optional public key of verify/restore: "" when neither flag is given.
absl::StatusOr<std::string> OptionalKey(const Flags& f) {
  if (f.key_b64.empty() && f.key_file.empty()) return std::string();
  return PublicKeyFrom(f.key_b64, f.key_file);
}

std::string BackupText(const v1::BackupResponse& out) {
  return absl::StrCat("backup ", out.name(), " written on the server at ", out.path(), ": ",
                      static_cast<uint64_t>(out.files()), " files, ",
                      static_cast<uint64_t>(out.bytes()), " bytes, ",
                      static_cast<uint64_t>(out.ledger_entries()), " erasures in its ledger",
                      out.expires_at().empty() ? "" : "; it expires at ", out.expires_at());
}

// "35d", "12h", "90m", "3600s" or plain seconds; nullopt when malformed.
std::optional<uint64_t> ParseLifetime(const std::string& text) {
  if (text.empty()) return 0;
  std::string digits = text;
  uint64_t unit = 1;
  const char last = text.back();
  if (last < '0' || last > '9') {
    static const std::map<char, uint64_t> kUnits = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    auto found = kUnits.find(last);
    if (found == kUnits.end()) return std::nullopt;
    unit = found->second;
    digits.pop_back();
  }
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const uint64_t n = std::stoull(digits);
  if (n == 0) return std::nullopt;
  return n * unit;
}

// A backup's expiry as RFC 3339, "" for none.
std::string Expiry(const BackupSummary& summary) {
  if (summary.expires_at_unix_ms == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(summary.expires_at_unix_ms),
                          absl::UTCTimeZone());
}

int Verify(const Globals& g, const Flags& f) {
  absl::StatusOr<std::string> key = OptionalKey(f);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  absl::StatusOr<BackupSummary> summary = VerifyBackup(f.dir, *key);
  if (!summary.ok()) {
    return Fail(
        absl::DataLossError(absl::StrCat("backup does NOT verify: ", summary.status().message())));
  }
  if (g.json) {
    results::BackupCheck out;
    out.set_ok(true);
    out.set_files(static_cast<double>(summary->files));
    out.set_bytes(static_cast<double>(summary->bytes));
    out.set_ledger_entries(static_cast<double>(summary->ledger_entries));
    out.set_expires_at(Expiry(*summary));
    PrintAnswer(g, out, "");
  } else {
    const std::string expiry = Expiry(*summary);
    std::printf("backup verifies: %llu files, %llu bytes, %llu erasures in its ledger%s%s%s\n",
                static_cast<ull>(summary->files), static_cast<ull>(summary->bytes),
                static_cast<ull>(summary->ledger_entries),
                expiry.empty() ? "" : "; it stops opening at ", expiry.c_str(),
                key->empty() ? " (signature checked against the key the backup names; pass "
                               "--public-key to check it against the vault's)"
                             : "");
  }
  return kOk;
}

// Reads --ledger (empty LedgerFile when not given).
absl::StatusOr<LedgerFile> ReadLedger(const std::string& path) {
  if (path.empty()) return LedgerFile{};
  absl::StatusOr<std::string> json = ReadFileOrStdin(path);
  if (!json.ok()) return json.status();
  absl::StatusOr<LedgerFile> parsed = ParseLedgerJson(*json);
  if (parsed.ok() && !parsed->state.has_value()) {
    std::fprintf(stderr,
                 "vaultctl: warning: the ledger file has no live state: cancelled "
                 "erasures, holds and deleted principals are as in the backup\n");
  }
  return parsed;
}

void PrintRestore(const Globals& g, const std::string& data_dir, const RestoreReport& r) {
  if (g.json) {
    results::RestoreResult out;
    out.set_ok(true);
    out.set_replayed_subjects(static_cast<double>(r.replayed_subjects));
    out.set_replayed_tenants(static_cast<double>(r.replayed_tenants));
    out.set_already_in_backup(static_cast<double>(r.already_in_backup));
    out.set_live_state_applied(r.live_state_applied);
    out.set_erasures_cancelled(static_cast<double>(r.live.erasures_cancelled));
    out.set_erasures_requested(static_cast<double>(r.live.erasures_requested));
    out.set_holds(static_cast<double>(r.live.holds));
    out.set_principals_removed(static_cast<double>(r.live.principals_removed));
    PrintAnswer(g, out, "");
    return;
  }
  if (r.live_state_applied) {
    std::printf(
        "live state applied: %llu pending erasures cancelled since, %llu requested "
        "since, %llu holds, %llu principals deleted since removed\n",
        static_cast<ull>(r.live.erasures_cancelled), static_cast<ull>(r.live.erasures_requested),
        static_cast<ull>(r.live.holds), static_cast<ull>(r.live.principals_removed));
  }
  std::printf(
      "restored into %s: %llu receipts given, %llu subject and %llu tenant erasures "
      "replayed, %llu already in the backup. Start vaultd on it and unseal with the "
      "vault's shares (a PKCS#11 vault: start it with its token before the backup's "
      "expiry; it then moves to a root key of its own).\n",
      data_dir.c_str(), static_cast<ull>(r.receipts), static_cast<ull>(r.replayed_subjects),
      static_cast<ull>(r.replayed_tenants), static_cast<ull>(r.already_in_backup));
}

int Restore(const Globals& g, const Flags& f) {
  absl::StatusOr<std::string> key = OptionalKey(f);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  if (f.ledger.empty() == !f.no_newer_ledger) {
    return Usage(
        "give the newest shred ledger with --ledger FILE (vaultctl ledger export), or "
        "state --no-newer-ledger to restore without replaying erasures made after the "
        "backup");
  }
  absl::StatusOr<LedgerFile> ledger = ReadLedger(f.ledger);
  if (!ledger.ok()) return Fail(ledger.status());
  absl::StatusOr<RestoreReport> report =
      RestoreBackup(f.dir, f.data_dir, ledger->receipts, absl::Now(), *key,
                    ledger->state.has_value() ? &*ledger->state : nullptr);
  if (!report.ok()) return Fail(report.status());
  PrintRestore(g, f.data_dir, *report);
  return kOk;
}

}  // namespace

void AddBackupCommands(CLI::App& app, Globals& g) {
  auto f = std::make_shared<Flags>();
  auto* backup = app.add_subcommand("backup", "backups");
  backup->require_subcommand(1);
  auto* create = backup->add_subcommand(
      "create", "online backup into the server's --backup-dir (RocksDB checkpoint + keyring)");
  create->add_option("name", f->name, "backup name (A-Z a-z 0-9 . _ -)")->required();
  create->add_option("--expires-in", f->expires_in,
                     "PKCS#11 root: unreadable after this (35d, 12h, ...; default 35d)");
  OnRun(create, g, [&g, f] {
    std::optional<uint64_t> lifetime = ParseLifetime(f->expires_in);
    if (!lifetime.has_value()) return Usage("--expires-in takes a number with d, h, m or s");
    return CallAndPrint<v1::BackupResponse>(
        g, [f, lifetime](VaultClient& c) { return c.CreateBackup(f->name, *lifetime); },
        BackupText);
  });
  auto* verify = backup->add_subcommand("verify", "check a backup folder offline");
  verify->add_option("dir", f->dir, "backup folder")->required();
  verify->add_option("--public-key", f->key_b64, "vault public key, base64");
  verify->add_option("--public-key-file", f->key_file, "file with the key");
  OnRun(verify, g, [&g, f] { return Verify(g, *f); });
  auto* restore = backup->add_subcommand(
      "restore", "offline: restore into a new data folder, replaying the shred ledger");
  restore->add_option("dir", f->dir, "backup folder")->required();
  restore->add_option("--data-dir", f->data_dir, "new data folder (absent or empty)")->required();
  restore->add_option("--ledger", f->ledger,
                      "the newest shred ledger (vaultctl ledger export) to replay");
  restore->add_flag("--no-newer-ledger", f->no_newer_ledger,
                    "restore without a newer ledger (erasures after the backup come back)");
  restore->add_option("--public-key", f->key_b64, "check the backup against this key (base64)");
  restore->add_option("--public-key-file", f->key_file, "file with the key");
  OnRun(restore, g, [&g, f] { return Restore(g, *f); });
}

}  // namespace vault::ops
