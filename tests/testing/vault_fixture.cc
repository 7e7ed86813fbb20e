// Vault test helpers. Failures abort the test binary loudly: a fixture that
// cannot be built means every test using it would be meaningless.
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

using vault::internal::Parts;

namespace vault::testing {
namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "fixture: %s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

}  // namespace

std::unique_ptr<Vault> OpenVault(const std::string& data_dir, const Clock* clock,
                                 std::unique_ptr<storage::KvStore> kv) {
  VaultOptions options;
  options.data_dir = data_dir;
  options.clock = clock;
  options.random = &crypto::SystemRandom::Instance();
  options.argon2 = crypto::Argon2idParams::MinimumForTesting();
  options.kv = std::move(kv);
  absl::StatusOr<std::unique_ptr<Vault>> v = Vault::Open(std::move(options));
  Check(v.status(), "open vault");
  return std::move(*v);
}

std::unique_ptr<Vault> OpenReadyVault(const std::string& data_dir, const Clock* clock,
                                      std::initializer_list<std::string_view> tenants,
                                      std::unique_ptr<storage::KvStore> kv) {
  std::unique_ptr<Vault> v = OpenVault(data_dir, clock, std::move(kv));
  Check(v->InitializeAndUnsealDev(), "dev unseal");
  for (std::string_view t : tenants) Check(Parts(*v).keys().CreateTenant(t, ""), "create tenant");
  return v;
}

std::string ReadRootKey(const Vault& vault) {
  std::ifstream in(vault.data_dir() + "/root-api-key");
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace vault::testing
