// vaultctl erasure request|cancel|get, holds put|release, receipts verify|key.
// Thread-safety: single-threaded. `receipts verify` is offline: it reads a
// file and a public key and never talks to the server.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "ops/cli.h"
#include "ops/offline.h"
#include "ops/results.pb.h"
#include "vault/lifecycle/lifecycle.h"

namespace vault::ops {
namespace {

struct Flags {
  std::string tenant, subject, erasure_id, hold_id, reason, file, key_b64, key_file;
  int64_t grace = 259200;
};

int VerifyReceiptFile(const Globals& g, const Flags& f) {
  absl::StatusOr<std::string> key = PublicKeyFrom(f.key_b64, f.key_file);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  absl::StatusOr<std::string> json = ReadFileOrStdin(f.file);
  if (!json.ok()) return Fail(json.status());
  absl::StatusOr<records::ErasureReceipt> receipt = ParseReceiptJson(*json);
  if (!receipt.ok()) return Fail(receipt.status());
  const bool ok = vault::VerifyReceipt(*receipt, *key).ok();
  if (g.json) {
    results::ReceiptCheck out;
    out.set_ok(ok);
    out.set_erasure_id(receipt->erasure_id());
    PrintAnswer(g, out, "");
  } else if (ok) {
    std::printf("receipt %s verifies: tenant %s, subject %s, shredded at %s, key %s\n",
                receipt->erasure_id().c_str(), receipt->tenant().c_str(),
                receipt->subject().empty() ? "(whole tenant)" : receipt->subject().c_str(),
                receipt->shredded_at().c_str(), receipt->destroyed_key_id().c_str());
  }
  if (!ok) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
        "receipt ", receipt->erasure_id(), " does NOT verify under the given public key")));
  }
  return kOk;
}

void AddErasure(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* erasure = app.add_subcommand("erasure", "erasure requests of data subjects");
  erasure->require_subcommand(1);
  auto* request = erasure->add_subcommand("request", "request an erasure (grace 0 = now)");
  request->add_option("--tenant", f->tenant, "tenant id")->required();
  request->add_option("subject", f->subject, "subject id")->required();
  request->add_option("--grace-seconds", f->grace, "grace period (default 259200: 3 days)")
      ->check(CLI::NonNegativeNumber);
  OnRun(request, g, [&g, f] {
    return CallAndPrint<v1::ErasureResponse>(
        g, [f](VaultClient& c) { return c.RequestErasure(f->tenant, f->subject, f->grace); },
        [](const v1::ErasureResponse& out) {
          return out.state() == "done"
                     ? absl::StrCat("erasure ", out.erasure_id(), " done; receipt: use --json")
                     : absl::StrCat("erasure ", out.erasure_id(), " pending until ", out.due_at());
        });
  });
  auto* cancel = erasure->add_subcommand("cancel", "cancel a pending erasure");
  cancel->add_option("--tenant", f->tenant, "tenant id")->required();
  cancel->add_option("subject", f->subject, "subject id")->required();
  OnRun(cancel, g, [&g, f] {
    return CallAndPrint<v1::Empty>(
        g, [f](VaultClient& c) { return c.CancelErasure(f->tenant, f->subject); },
        [f](const v1::Empty&) { return absl::StrCat("erasure of ", f->subject, " cancelled"); });
  });
  auto* get = erasure->add_subcommand("get", "an erasure's state (and receipt)");
  get->add_option("--tenant", f->tenant, "tenant id")->required();
  get->add_option("erasure_id", f->erasure_id, "erasure id")->required();
  OnRun(get, g, [&g, f] {
    return CallAndPrint<v1::ErasureResponse>(
        g, [f](VaultClient& c) { return c.GetErasure(f->tenant, f->erasure_id); },
        [](const v1::ErasureResponse& out) {
          return absl::StrCat("erasure ", out.erasure_id(), ": ", out.state());
        });
  });
}

void AddHolds(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* holds = app.add_subcommand("holds", "legal holds");
  holds->require_subcommand(1);
  auto* put = holds->add_subcommand("put", "place a hold (erasure waits while one exists)");
  put->add_option("--tenant", f->tenant, "tenant id")->required();
  put->add_option("subject", f->subject, "subject id")->required();
  put->add_option("hold_id", f->hold_id, "hold id")->required();
  put->add_option("--reason", f->reason, "why (no personal data)")->required();
  OnRun(put, g, [&g, f] {
    return CallAndPrint<v1::HoldResponse>(
        g, [f](VaultClient& c) { return c.PutHold(f->tenant, f->subject, f->hold_id, f->reason); },
        [f](const v1::HoldResponse&) {
          return absl::StrCat("hold ", f->hold_id, " placed on ", f->subject);
        });
  });
  auto* release = holds->add_subcommand("release", "release a hold");
  release->add_option("--tenant", f->tenant, "tenant id")->required();
  release->add_option("subject", f->subject, "subject id")->required();
  release->add_option("hold_id", f->hold_id, "hold id")->required();
  OnRun(release, g, [&g, f] {
    return CallAndPrint<v1::Empty>(
        g, [f](VaultClient& c) { return c.ReleaseHold(f->tenant, f->subject, f->hold_id); },
        [f](const v1::Empty&) { return absl::StrCat("hold ", f->hold_id, " released"); });
  });
}

void AddReceipts(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* receipts = app.add_subcommand("receipts", "erasure receipts");
  receipts->require_subcommand(1);
  auto* verify =
      receipts->add_subcommand("verify", "verify a receipt offline against the vault's public key");
  verify->add_option("file", f->file, "receipt JSON (or an erasure answer), - = stdin")->required();
  auto* pk1 = verify->add_option("--public-key", f->key_b64, "vault public key, base64");
  auto* pk2 = verify->add_option("--public-key-file", f->key_file,
                                 "file with the key (base64 or receipt-key JSON)");
  pk1->excludes(pk2);
  OnRun(verify, g, [&g, f] {
    if (f->key_b64.empty() && f->key_file.empty()) {
      return Usage("give --public-key or --public-key-file");
    }
    return VerifyReceiptFile(g, *f);
  });
  OnRun(receipts->add_subcommand("key", "print the vault's public signing key (keep it)"), g, [&g] {
    return CallAndPrint<v1::ReceiptKeyResponse>(
        g, [](VaultClient& c) { return c.ReceiptKey(); },
        [](const v1::ReceiptKeyResponse& out) { return out.public_key(); });
  });
}

}  // namespace

void AddLifecycleCommands(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<Flags>();
  AddErasure(app, g, flags);
  AddHolds(app, g, flags);
  AddReceipts(app, g, flags);
}

}  // namespace vault::ops
