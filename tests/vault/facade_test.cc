// Tests for the Vault's two facades: operator-only calls are ordinary
// authorized, audited DataAccess calls (seal and audit verification, which
// the HTTP handler used to do itself), and SystemControl's calls before a
// principal exists.
#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/vault.h"

namespace vault {
namespace {

class FacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme"});
    root_ = Ctx(Principal{"root", "", "root", true, {}});
    records::RoleRecord admin;
    admin.set_name("tenant-admin");
    admin.add_actions("admin");
    admin.add_actions("audit");
    admin.set_max_reveal("token_only");
    ASSERT_TRUE(vault_->access().PutRole(root_, "acme", admin).ok());
    absl::StatusOr<IssuedPrincipal> issued =
        vault_->access().CreatePrincipal(root_, "acme", "acme-admin", {"tenant-admin"});
    ASSERT_TRUE(issued.ok()) << issued.status();
    absl::StatusOr<Principal> p = vault_->system().Authenticate(issued->api_key);
    ASSERT_TRUE(p.ok()) << p.status();
    tenant_admin_ = Ctx(*p);
  }

  static RequestContext Ctx(Principal p) { return RequestContext{std::move(p), "req-f", ""}; }

  // The reasons of the system-wide entries (no tenant) in the chain.
  std::vector<std::string> SystemEntries(std::string_view outcome) {
    std::vector<std::string> out;
    absl::StatusOr<AuditExportPage> page = vault_->access().ExportAudit(root_, 1, 10000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const records::AuditEntry& e : page->entries) {
      if (e.tenant().empty() && e.outcome() == outcome)
        out.push_back(e.action() + ":" + e.reason());
    }
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
  RequestContext root_;
  RequestContext tenant_admin_;
};

TEST_F(FacadeTest, OnlyOperatorsSealAndTheRefusalIsLogged) {
  absl::Status refused = vault_->access().Seal(tenant_admin_);
  EXPECT_TRUE(absl::IsPermissionDenied(refused)) << refused;
  EXPECT_EQ(refused.message(), "only operators may seal the vault");
  EXPECT_FALSE(vault_->system().Status().sealed);
  EXPECT_EQ(SystemEntries("denied"),
            std::vector<std::string>({"admin:only operators may seal the vault"}));

  ASSERT_TRUE(vault_->access().Seal(root_).ok());
  EXPECT_TRUE(vault_->system().Status().sealed);
  ASSERT_TRUE(vault_->InitializeAndUnsealDev().ok());
  std::vector<std::string> allowed = SystemEntries("allowed");
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), "admin:vault sealed"), allowed.end());
}

TEST_F(FacadeTest, AuditVerificationIsOperatorOnlyAndLogged) {
  absl::StatusOr<AuditVerification> refused = vault_->access().VerifyAudit(tenant_admin_);
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();

  absl::StatusOr<AuditVerification> v = vault_->access().VerifyAudit(root_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->problem;
  std::vector<std::string> allowed = SystemEntries("allowed");
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), "audit:audit verified"), allowed.end());

  // Sealed: the checkpoints' key is not available, so it says so.
  ASSERT_TRUE(vault_->access().Seal(root_).ok());
  EXPECT_TRUE(IsSealed(vault_->access().VerifyAudit(root_).status()));
}

TEST_F(FacadeTest, OperatorOnlyCallsRefuseTenantAdminsWithTheirOwnMessage) {
  EXPECT_EQ(vault_->access().RotateRoot(tenant_admin_).status().message(),
            "only operators may rotate the root key");
  EXPECT_EQ(vault_->access().ShredLedger(tenant_admin_).status().message(),
            "only operators may read the shred ledger");
  EXPECT_EQ(vault_->access().ExportAudit(tenant_admin_, 0, 10).status().message(),
            "only operators may export the audit log");
  EXPECT_EQ(vault_->access().EraseTenant(tenant_admin_, "acme").status().message(),
            "only operators may erase a tenant");
  // The same principal still administers its own tenant.
  EXPECT_TRUE(vault_->access().ListRoles(tenant_admin_, "acme").ok());
}

TEST_F(FacadeTest, SystemControlReportsStateAndRefusesASecondInit) {
  SystemStatus status = vault_->system().Status();
  EXPECT_TRUE(status.initialized);
  EXPECT_FALSE(status.sealed);
  EXPECT_TRUE(status.storage.writable);
  EXPECT_GT(status.audit_entries_appended, 0u);
  EXPECT_TRUE(absl::IsFailedPrecondition(vault_->system().Initialize(5, 3).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(vault_->system().Authenticate("vk_not-a-key").status()));
  absl::StatusOr<std::string> anchor = vault_->system().AuditAnchorProblem();
  ASSERT_TRUE(anchor.ok()) << anchor.status();
  EXPECT_EQ(*anchor, "");
}

TEST(SystemWideAccessTest, OnlyOperatorsAndOnlyForAdminKeysAndAudit) {
  Role all;
  all.name = "everything";
  for (Action a : kAllActions) all.actions.insert(a);
  all.all_types = true;
  all.max_reveal = RevealLevel::kPlain;
  const Principal tenant_admin{"p-1", "acme", "admin", false, {all}};
  const Principal op{"root", "", "root", true, {}};
  for (Action a : kAllActions) {
    AccessRequest r;
    r.tenant = "acme";  // ignored for a system-wide call
    r.action = a;
    r.system_wide = true;
    Decision d = Authorize(tenant_admin, r);
    EXPECT_FALSE(d.allowed) << ActionName(a);
    EXPECT_EQ(d.reason, "only operators may act on the whole vault");
    const bool operator_action = a == Action::kAdmin || a == Action::kKeys || a == Action::kAudit;
    EXPECT_EQ(Authorize(op, r).allowed, operator_action) << ActionName(a);
  }
}

}  // namespace
}  // namespace vault
