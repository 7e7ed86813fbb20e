// vaultctl status, init, unseal, seal, rotate-root.
// Thread-safety: single-threaded. Never echoes or keeps an unseal share:
// it is read without echo on a terminal and wiped after each call.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/files.h"
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
  if (!out_dir.empty()) {
    if (absl::Status s = WriteInitFiles(out_dir, *out); !s.ok()) return Fail(s);
    std::printf(
        "initialised: %d shares (any %d unseal) and the root API key written to %s "
        "(share-1..share-%d, root-api-key, mode 0600). Give each share to a different "
        "person and delete these files. The vault is sealed.\n",
        shares, threshold, out_dir.c_str(), shares);
    return kOk;
  }
  if (g.json) return PrintAnswer(g, *out, "");
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
    absl::StatusOr<v1::UnsealResponse> answer = (*c)->Unseal(share);
    crypto::SecureWipe(share);
    if (!answer.ok()) return Fail(answer.status());
    out = *std::move(answer);
    ++submitted;
    if (!out.sealed()) break;
    if (terminal)
      std::fprintf(stderr, "progress: %d of %d shares\n", out.progress(), out.threshold());
  }
  if (submitted == 0) return Usage("no share given (pipe shares on standard input, one per line)");
  if (out.sealed()) {
    return PrintAnswer(
        g, out, absl::StrCat("sealed: ", out.progress(), " of ", out.threshold(), " shares given"));
  }
  return PrintAnswer(g, out, "unsealed");
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
}

}  // namespace vault::ops
