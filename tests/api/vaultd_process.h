// Starts the real vaultd binary on a free port for integration tests and
// stops it with SIGTERM. Thread-safety: one per test.
#ifndef VAULT_TESTS_API_VAULTD_PROCESS_H_
#define VAULT_TESTS_API_VAULTD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace vault::testing {

class VaultdProcess {
 public:
  // Runs VAULTD_PATH with `args` plus --listen 127.0.0.1:0 and waits for
  // its "listening on" line. port() is 0 when it did not start. With
  // VAULT_TEST_STORAGE=postgres (tests/testing/test_storage.h) a vaultd with
  // a --data-dir and no --postgres also gets --postgres with the database
  // of that data folder (a new one the first time the folder is seen).
  explicit VaultdProcess(std::vector<std::string> args);
  ~VaultdProcess();  // SIGKILL if still running
  int port() const { return port_; }
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  void Kill();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Reads a whole small file (e.g. DIR/root-api-key), trailing newline removed.
std::string ReadFirstLine(const std::string& path);

}  // namespace vault::testing

#endif  // VAULT_TESTS_API_VAULTD_PROCESS_H_
