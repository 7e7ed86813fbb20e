// vaultctl status, init, unseal, seal, rotate-root, rekey, rotate-root-api-key.
// Thread-safety: single-threaded. Never echoes or keeps an unseal share:
// it is read without echo on a terminal and wiped after each call.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/encoding.h"
#include "ops/cli.h"
#include "vault/backup/backup.h"
#include "vault/vault.h"

namespace vault::ops {
namespace {

std::string HealthText(const v1::HealthResponse& h) {
  return absl::StrCat("initialized: ", h.initialized() ? "yes" : "no",
                      "\nsealed: ", h.sealed() ? "yes" : "no", "\nversion: ", h.version());
}

// Writes share-1..share-N and root-api-key (0600) into out_dir.
absl::Status WriteInitFiles(const std::string& out_dir, const v1::InitResponse& out) {
  for (int i = 0; i < out.unseal_shares_size(); ++i) {
    if (absl::Status s =
            WritePrivateFile(base::Env::Posix(), absl::StrCat(out_dir, "/share-", i + 1),
                             out.unseal_shares(i) + "\n");
        !s.ok()) {
      return s;
    }
  }
  return WritePrivateFile(base::Env::Posix(), absl::StrCat(out_dir, "/root-api-key"),
                          out.root_api_key() + "\n");
}

int Init(const Globals& g, int shares, int threshold, const std::string& out_dir) {
  if (threshold < 2 || shares < threshold || shares > 255) {
    return Usage("need 2 <= --threshold <= --shares <= 255");
  }
  if (!out_dir.empty()) {
    if (absl::Status s = PrepareDataDir(base::Env::Posix(), out_dir); !s.ok()) return Fail(s);
  }
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<v1::InitResponse> out = (*c)->Init(shares, threshold);
  if (!out.ok()) return Fail(out.status());
  // A PKCS#11 root: no shares; the vault unsealed itself from the token.
  const bool token_root = out->unseal_shares_size() == 0;
  if (!out_dir.empty()) {
    if (absl::Status s = WriteInitFiles(out_dir, *out); !s.ok()) return Fail(s);
    if (token_root) {
      std::printf(
          "initialised with the PKCS#11 root: the root API key is written to %s/root-api-key "
          "(mode 0600); there are no shares, and the vault unsealed itself from the token.\n",
          out_dir.c_str());
      return kOk;
    }
    std::printf(
        "initialised: %d shares (any %d unseal) and the root API key written to %s "
        "(share-1..share-%d, root-api-key, mode 0600). Give each share to a different "
        "person and delete these files. The vault is sealed.\n",
        shares, threshold, out_dir.c_str(), shares);
    return kOk;
  }
  if (g.json) return PrintAnswer(g, *out, "");
  if (token_root) {
    std::printf(
        "Root API key (shown once): %s\nThe root key is in the PKCS#11 token: there are no "
        "shares, and the vault unsealed itself.\n",
        out->root_api_key().c_str());
    return kOk;
  }
  std::printf("Unseal shares (any %d of %d unseal the vault; give each to a different person):\n",
              threshold, shares);
  for (int i = 0; i < out->unseal_shares_size(); ++i) {
    std::printf("  share %d: %s\n", i + 1, out->unseal_shares(i).c_str());
  }
  std::printf("Root API key (shown once): %s\nThe vault is sealed: run `vaultctl unseal`.\n",
              out->root_api_key().c_str());
  return kOk;
}

// A share from the terminal without echo.
std::string PromptHidden(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios old{};
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

// Reads shares one at a time (prompted without echo on a terminal, else one
// per line on standard input) and hands each to `submit`, which says
// whether to go on. Each share is wiped after its call. Returns how many
// were submitted, or the first error.
absl::StatusOr<int> ForEachShare(
    const char* prompt, const std::function<absl::StatusOr<bool>(std::string_view)>& submit) {
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  int submitted = 0;
  for (;;) {
    std::string share;
    if (terminal) {
      share = PromptHidden(prompt);
    } else if (!std::getline(std::cin, share)) {
      break;
    }
    while (!share.empty() && (share.back() == '\r' || share.back() == ' ')) share.pop_back();
    if (share.empty()) {
      if (terminal) break;
      continue;
    }
    absl::StatusOr<bool> more = submit(share);
    crypto::SecureWipe(share);
    if (!more.ok()) return more.status();
    ++submitted;
    if (!*more) break;
  }
  return submitted;
}

void ShowProgress(int progress, int threshold) {
  if (::isatty(STDIN_FILENO) == 1) {
    std::fprintf(stderr, "progress: %d of %d shares\n", progress, threshold);
  }
}

int Unseal(const Globals& g) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::UnsealResponse out;
  auto submit = [&](std::string_view share) -> absl::StatusOr<bool> {
    absl::StatusOr<v1::UnsealResponse> answer = (*c)->Unseal(share);
    if (!answer.ok()) return answer.status();
    out = *std::move(answer);
    if (out.sealed()) ShowProgress(out.progress(), out.threshold());
    return out.sealed();
  };
  absl::StatusOr<int> submitted =
      ForEachShare("unseal share (input hidden; empty line to stop): ", submit);
  if (!submitted.ok()) return Fail(submitted.status());
  if (*submitted == 0) {
    return Usage("no share given (pipe shares on standard input, one per line)");
  }
  if (out.sealed()) {
    return PrintAnswer(
        g, out, absl::StrCat("sealed: ", out.progress(), " of ", out.threshold(), " shares given"));
  }
  return PrintAnswer(g, out, "unsealed");
}

// Writes share-1..share-N (0600) into out_dir and removes share files of a
// larger earlier set (those shares no longer unseal anything).
absl::Status WriteShareFiles(const std::string& out_dir,
                             const google::protobuf::RepeatedPtrField<std::string>& shares) {
  base::Env& env = base::Env::Posix();
  for (int i = 0; i < shares.size(); ++i) {
    RETURN_IF_ERROR(
        WritePrivateFile(env, absl::StrCat(out_dir, "/share-", i + 1), shares.Get(i) + "\n"));
  }
  for (int i = shares.size() + 1; i <= 255; ++i) {
    const std::string stale = absl::StrCat(out_dir, "/share-", i);
    absl::StatusOr<base::FileInfo> info = env.Stat(stale);
    if (!info.ok() || info->type == base::FileType::kMissing) break;
    RETURN_IF_ERROR(env.Remove(stale));
  }
  return absl::OkStatus();
}

void PrintShares(const v1::RekeyResponse& out, int shares) {
  std::printf(
      "New unseal shares (any %d of %d unseal the vault; give each to a different person;"
      " the old shares no longer unseal):\n",
      out.threshold(), shares);
  for (int i = 0; i < out.unseal_shares_size(); ++i) {
    std::printf("  share %d: %s\n", i + 1, out.unseal_shares(i).c_str());
  }
}

int Rekey(const Globals& g, int shares, int threshold, const std::string& out_dir) {
  if (threshold < 2 || shares < threshold || shares > 255) {
    return Usage("need 2 <= --threshold <= --shares <= 255");
  }
  if (!out_dir.empty()) {
    if (absl::Status s = PrepareDataDir(base::Env::Posix(), out_dir); !s.ok()) return Fail(s);
  }
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  v1::RekeyResponse out;
  auto submit = [&](std::string_view share) -> absl::StatusOr<bool> {
    absl::StatusOr<v1::RekeyResponse> answer = (*c)->Rekey(shares, threshold, share);
    if (!answer.ok()) return answer.status();
    out = *std::move(answer);
    if (!out.complete()) ShowProgress(out.progress(), out.threshold());
    return !out.complete();
  };
  absl::StatusOr<int> submitted =
      ForEachShare("current unseal share (input hidden; empty line to stop): ", submit);
  if (!submitted.ok()) return Fail(submitted.status());
  if (*submitted == 0) {
    return Usage("no share given (pipe the current shares on standard input, one per line)");
  }
  if (!out.complete()) {
    return PrintAnswer(g, out,
                       absl::StrCat("rekey in progress: ", out.progress(), " of ", out.threshold(),
                                    " current shares given"));
  }
  if (out_dir.empty()) {
    if (g.json) return PrintAnswer(g, out, "");
    PrintShares(out, shares);
    return kOk;
  }
  if (absl::Status s = WriteShareFiles(out_dir, out.unseal_shares()); !s.ok()) {
    PrintShares(out, shares);  // the rekey happened: these are the only copy
    return Fail(s);
  }
  std::printf(
      "rekeyed: %d new shares (any %d unseal) written to %s (share-1..share-%d, mode 0600); the "
      "old shares no longer unseal. Give each share to a different person and delete these "
      "files.\n",
      shares, out.threshold(), out_dir.c_str(), shares);
  return kOk;
}

int RotateRootApiKey(const Globals& g, const std::string& out_dir) {
  if (!out_dir.empty()) {
    if (absl::Status s = PrepareDataDir(base::Env::Posix(), out_dir); !s.ok()) return Fail(s);
  }
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<v1::RotateRootApiKeyResponse> out = (*c)->RotateRootApiKey();
  if (!out.ok()) return Fail(out.status());
  const std::string text = absl::StrCat("root API key rotated; the old key no longer works.\n",
                                        "New root API key (shown once): ", out->root_api_key());
  if (out_dir.empty()) return PrintAnswer(g, *out, text);
  const std::string path = absl::StrCat(out_dir, "/root-api-key");
  if (absl::Status s = WritePrivateFile(base::Env::Posix(), path, out->root_api_key() + "\n");
      !s.ok()) {
    std::printf("%s\n", text.c_str());  // the old key is gone: this is the only copy
    return Fail(s);
  }
  std::printf(
      "root API key rotated: the new key is written to %s (mode 0600); the old key no longer "
      "works.\n",
      path.c_str());
  return kOk;
}

void AddRekeyCommands(CLI::App& app, Globals& g) {
  struct RekeyFlags {
    int shares = 0, threshold = 0;
    bool cancel = false;
    std::string out_dir;
  };
  auto flags = std::make_shared<RekeyFlags>();
  auto* rekey = app.add_subcommand(
      "rekey",
      "replace the unseal shares: the current shares are prompted without echo, or read one per "
      "line on standard input; prints the new ones");
  rekey->add_option("--shares", flags->shares, "number of new shares");
  rekey->add_option("--threshold", flags->threshold, "new shares needed to unseal");
  rekey->add_option("--out-dir", flags->out_dir,
                    "write each new share to a file here (0600) instead of printing");
  rekey->add_flag("--cancel", flags->cancel, "cancel the rekey in progress");
  OnRun(rekey, g, [&g, flags] {
    if (!flags->cancel) return Rekey(g, flags->shares, flags->threshold, flags->out_dir);
    return CallAndPrint<v1::Empty>(
        g, [](VaultClient& c) { return c.CancelRekey(); },
        [](const v1::Empty&) { return "rekey cancelled (if one was in progress)"; });
  });
  auto out_dir = std::make_shared<std::string>();
  auto* rotate =
      app.add_subcommand("rotate-root-api-key",
                         "replace the root API key (needs the current one); prints the new one");
  rotate->add_option("--out-dir", *out_dir,
                     "write the new key to root-api-key here (0600) instead of printing");
  OnRun(rotate, g, [&g, out_dir] { return RotateRootApiKey(g, *out_dir); });
}

}  // namespace

void AddSysCommands(CLI::App& app, Globals& g) {
  OnRun(app.add_subcommand("status", "initialised/sealed state"), g, [&g] {
    return CallAndPrint<v1::HealthResponse>(
        g, [](VaultClient& c) { return c.Status(); }, HealthText);
  });

  struct InitFlags {
    int shares = 5, threshold = 3;
    std::string out_dir;
  };
  auto flags = std::make_shared<InitFlags>();
  auto* init = app.add_subcommand("init", "initialise with Shamir unseal shares");
  init->add_option("--shares", flags->shares, "number of shares (default 5)");
  init->add_option("--threshold", flags->threshold, "shares needed to unseal (default 3)");
  init->add_option("--out-dir", flags->out_dir,
                   "write each share and the root key to a file here (0600) instead of printing");
  OnRun(init, g, [&g, flags] { return Init(g, flags->shares, flags->threshold, flags->out_dir); });

  OnRun(app.add_subcommand("unseal",
                           "submit unseal shares: prompted without echo, or one per line on "
                           "standard input (never on the command line)"),
        g, [&g] { return Unseal(g); });
  OnRun(app.add_subcommand("seal", "seal the vault (drops every key from memory)"), g, [&g] {
    return CallAndPrint<v1::Empty>(
        g, [](VaultClient& c) { return c.Seal(); }, [](const v1::Empty&) { return "sealed"; });
  });
  OnRun(app.add_subcommand("rotate-root", "rotate the root key (everything it wraps is rewrapped)"),
        g, [&g] {
          return CallAndPrint<v1::RotateRootResponse>(
              g, [](VaultClient& c) { return c.RotateRoot(); },
              [](const v1::RotateRootResponse& out) {
                return absl::StrCat("root key rotated: version ", out.root_key_version());
              });
        });
  AddRekeyCommands(app, g);
}

}  // namespace vault::ops
