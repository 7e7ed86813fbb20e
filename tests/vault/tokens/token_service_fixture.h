// The fixture of the TokenService tests (token_service_test.cc,
// token_service_lifecycle_test.cc): an in-memory vault behind a
// fault-injecting store, with tenants acme and globex and a fake clock.
// Thread-safety: one test thread.
#ifndef VAULT_TESTS_VAULT_TOKENS_TOKEN_SERVICE_FIXTURE_H_
#define VAULT_TESTS_VAULT_TOKENS_TOKEN_SERVICE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_kv_store.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/storage/memory_kv_store.h"
#include "vault/tokens/token_service.h"

using vault::internal::Parts;

namespace vault {

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ = std::make_unique<storage::MemoryKvStore>();
    auto faulty = std::make_unique<testing::FaultInjectingKvStore>(memory_.get());
    faulty_ = faulty.get();
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "globex"}, std::move(faulty));
  }
  TokenService& tokens() { return Parts(*vault_).tokens(); }
  std::string Tokenize(std::string_view tenant, TokenizeItem item) {
    auto r = tokens().Tokenize(tenant, {std::move(item)});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->at(0).token : "";
  }
  DetokenizeResult Detokenize(std::string_view tenant, const std::string& token,
                              RevealLevel reveal = RevealLevel::kPlain) {
    auto r = tokens().Detokenize(tenant, {token}, reveal);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->at(0) : DetokenizeResult{};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<storage::MemoryKvStore> memory_;
  testing::FaultInjectingKvStore* faulty_ = nullptr;
  std::unique_ptr<Vault> vault_;
};

}  // namespace vault

#endif  // VAULT_TESTS_VAULT_TOKENS_TOKEN_SERVICE_FIXTURE_H_
