// A throwaway SoftHSM2 token for tests of the PKCS#11 root: its own token
// folder and configuration file (SOFTHSM2_CONF is set for this process and
// the vaultd processes it starts), initialised with softhsm2-util.
// Thread-safety: one per test process (it sets an environment variable).
#ifndef VAULT_TESTS_TESTING_SOFTHSM_H_
#define VAULT_TESTS_TESTING_SOFTHSM_H_

#include <memory>
#include <string>

#include "crypto/pkcs11_token.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {

class SoftHsm {
 public:
  // Creates and initialises a token labelled `label`. ok() says whether
  // that worked (softhsm2 installed; error() says why not).
  explicit SoftHsm(std::string label = "vault-test");
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  const std::string& module_path() const { return module_path_; }
  const std::string& label() const { return label_; }
  const std::string& pin_file() const { return pin_file_; }
  static constexpr char kPin[] = "4711-test";

  // A new session on the token (the vault's own way in).
  std::unique_ptr<crypto::Pkcs11Token> Open() const;
  // vaultd's flags for this token.
  std::vector<std::string> VaultdFlags() const;

 private:
  TempDir dir_;
  std::string label_;
  std::string module_path_;
  std::string pin_file_;
  std::string error_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_SOFTHSM_H_
