// The fixture of the DataAccess tests (data_access_test.cc,
// data_access_audit_test.cc): an in-memory vault behind a fault-injecting
// store, tenants acme and globex with four roles each, and principals that
// authenticate with their API keys as a caller would.
// Thread-safety: one test thread.
#ifndef VAULT_TESTS_VAULT_DATA_ACCESS_FIXTURE_H_
#define VAULT_TESTS_VAULT_DATA_ACCESS_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_kv_store.h"
#include "tests/testing/vault_fixture.h"
#include "vault/data_access.h"
#include "vault/internal/vault_parts.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {

inline records::RoleRecord MakeRole(std::string name, std::vector<std::string> actions,
                                    std::vector<std::string> types, std::string max_reveal,
                                    std::vector<std::string> purposes = {}, bool require = false) {
  records::RoleRecord r;
  r.set_name(std::move(name));
  for (auto& a : actions) r.add_actions(a);
  for (auto& t : types) r.add_types(t);
  r.set_max_reveal(std::move(max_reveal));
  for (auto& p : purposes) r.add_purposes(p);
  r.set_require_purpose(require);
  return r;
}

class DataAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ = std::make_unique<storage::MemoryKvStore>();
    auto faulty = std::make_unique<testing::FaultInjectingKvStore>(memory_.get());
    faulty_ = faulty.get();
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "globex"}, std::move(faulty));
    root_ = Ctx(Principal{"root", "", "root", true, {}});
    for (std::string tenant : {"acme", "globex"}) {
      Must(access().PutRole(root_, tenant,
                            MakeRole("tokenizer", {"tokenize", "write"}, {"*"}, "token_only")));
      Must(access().PutRole(root_, tenant,
                            MakeRole("support", {"detokenize", "read", "search"},
                                     {"phone", "email"}, "masked", {"support"}, true)));
      Must(access().PutRole(
          root_, tenant,
          MakeRole("billing", {"detokenize", "read"}, {"bank_card"}, "plain", {"billing"}, true)));
      Must(access().PutRole(root_, tenant, MakeRole("auditor", {"audit"}, {}, "token_only")));
    }
    tokenizer_ = Login("acme", "svc", {"tokenizer"});
    support_ = Login("acme", "helpdesk", {"support"});
    billing_ = Login("acme", "billing", {"billing"});
    auditor_ = Login("acme", "dpo", {"auditor"});
    globex_support_ = Login("globex", "helpdesk", {"support"});
  }

  DataAccess& access() { return vault_->access(); }
  static RequestContext Ctx(Principal p, std::string purpose = "") {
    return RequestContext{std::move(p), "req-1", std::move(purpose)};
  }
  template <typename T>
  static void Must(const absl::StatusOr<T>& s) {
    ASSERT_TRUE(s.ok()) << s.status();
  }
  // Creates a principal and authenticates with its API key, as a caller would.
  Principal Login(std::string tenant, std::string name, std::vector<std::string> roles) {
    absl::StatusOr<IssuedPrincipal> issued = access().CreatePrincipal(root_, tenant, name, roles);
    EXPECT_TRUE(issued.ok()) << issued.status();
    keys_.push_back(issued->api_key);
    absl::StatusOr<Principal> p = Parts(*vault_).principals().Authenticate(issued->api_key);
    EXPECT_TRUE(p.ok()) << p.status();
    return *p;
  }
  std::vector<records::AuditEntry> AllEntries() {
    std::vector<records::AuditEntry> out;
    EXPECT_TRUE(memory_
                    ->ScanPrefix(storage::Table::kAudit, "e",
                                 [&](std::string_view, std::string_view v) {
                                   records::AuditEntry e;
                                   e.ParseFromArray(v.data(), static_cast<int>(v.size()));
                                   out.push_back(e);
                                   return true;
                                 })
                    .ok());
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<storage::MemoryKvStore> memory_;
  testing::FaultInjectingKvStore* faulty_ = nullptr;
  std::unique_ptr<Vault> vault_;
  RequestContext root_;
  Principal tokenizer_, support_, billing_, auditor_, globex_support_;
  std::vector<std::string> keys_;
};

}  // namespace vault

#endif  // VAULT_TESTS_VAULT_DATA_ACCESS_FIXTURE_H_
