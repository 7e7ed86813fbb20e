// Test helpers for building a Vault in a temporary folder with a fake clock
// (and the real CSPRNG: keys stay distinct across vaults of one test),
// initialised and unsealed (dev key file), with one or more tenants.
// Thread-safety: not thread-safe; one per test.
#ifndef VAULT_TESTS_TESTING_VAULT_FIXTURE_H_
#define VAULT_TESTS_TESTING_VAULT_FIXTURE_H_

#include <memory>
#include <string>

#include "base/clock.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"
#include "vault/vault.h"

namespace vault::testing {

// Opens the vault at `data_dir` with `clock`; `kv` null = RocksDB.
std::unique_ptr<Vault> OpenVault(const std::string& data_dir, const Clock* clock,
                                 std::unique_ptr<storage::KvStore> kv = nullptr);

// Opens, initialises and unseals (dev key file) and creates `tenants`.
std::unique_ptr<Vault> OpenReadyVault(const std::string& data_dir, const Clock* clock,
                                      std::initializer_list<std::string_view> tenants,
                                      std::unique_ptr<storage::KvStore> kv = nullptr);

// The dev-mode root API key of `vault` (from DIR/root-api-key).
std::string ReadRootKey(const Vault& vault);

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_VAULT_FIXTURE_H_
