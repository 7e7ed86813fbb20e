// vaultd entry point. Opens the data folder, and in --dev mode initialises
// (if needed) and unseals from the key file in the folder, then waits for
// SIGINT/SIGTERM and closes cleanly. Never logs keys or personal data.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "spdlog/spdlog.h"
#include "vault/vault.h"

namespace {

// Core dumps could hold unwrapped keys: switch them off before any key exists.
void DisableCoreDumps() {
  struct rlimit zero {};
  if (::setrlimit(RLIMIT_CORE, &zero) != 0) spdlog::warn("could not disable core dumps");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) spdlog::warn("could not mark process undumpable");
}

void ReportMlockLimit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    spdlog::info("locked-memory limit: {} KiB (keys live in locked memory)", lim.rlim_cur / 1024);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vaultd: personal-data vault server"};
  std::string data_dir;
  bool dev = false;
  app.add_option("--data-dir", data_dir, "data folder (created 0700 if missing)")->required();
  app.add_flag("--dev", dev, "development mode: self-initialise and unseal from a key file");
  CLI11_PARSE(app, argc, argv);

  DisableCoreDumps();
  ReportMlockLimit();

  // Block the stop signals before any thread starts, so sigwait receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  vault::VaultOptions options;
  options.data_dir = data_dir;
  absl::StatusOr<std::unique_ptr<vault::Vault>> opened = vault::Vault::Open(std::move(options));
  if (!opened.ok()) {
    spdlog::error("cannot open the vault: {}", opened.status().ToString());
    return 1;
  }
  vault::Vault& v = **opened;

  if (dev) {
    spdlog::warn("*** DEVELOPMENT MODE: the unseal key is stored in {} next to the data. "
                 "Never use --dev for real personal data. ***", v.DevKeyFilePath());
    if (absl::Status s = v.InitializeAndUnsealDev(); !s.ok()) {
      spdlog::error("dev unseal failed: {}", s.ToString());
      return 1;
    }
  }
  const bool initialized = v.keys().initialized();
  const bool sealed = v.keys().sealed();
  std::printf("vaultd %s: data folder %s, initialized=%s, sealed=%s\n", "0.1.0",
              data_dir.c_str(), initialized ? "true" : "false", sealed ? "true" : "false");
  std::printf("HTTP API: not built yet in this version; press Ctrl-C to stop\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {} received, closing", sig);
  v.keys().Seal();
  return 0;
}
