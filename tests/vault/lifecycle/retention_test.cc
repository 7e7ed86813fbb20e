// Retention classes through DataAccess: a field under a retention class
// survives its subject's erasure for readers with purpose `legal` only, waits
// for holds, and is shredded (with a signed receipt) when the class expires;
// time comes from a fake clock.
#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;

records::RoleRecord MakeRole(std::string name, std::vector<std::string> actions,
                             std::string max_reveal, std::vector<std::string> purposes) {
  records::RoleRecord r;
  r.set_name(std::move(name));
  for (auto& a : actions) r.add_actions(a);
  r.add_types("*");
  r.set_max_reveal(std::move(max_reveal));
  for (auto& p : purposes) r.add_purposes(p);
  return r;
}

constexpr char kCard[] = "4111111111111111";

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme"});
    root_ = Ctx(Principal{"root", "", "root", true, {}});
    ASSERT_TRUE(
        access()
            .PutRole(root_, "acme", MakeRole("app", {"write", "erase", "hold"}, "token_only", {}))
            .ok());
    ASSERT_TRUE(
        access().PutRole(root_, "acme", MakeRole("support", {"read"}, "plain", {"support"})).ok());
    ASSERT_TRUE(
        access().PutRole(root_, "acme", MakeRole("legal", {"read"}, "plain", {"legal"})).ok());
    app_ = Login("app", "app");
    support_ = Login("support", "support");
    legal_ = Login("legal", "legal");
    auto put = access().PutSubject(Ctx(app_), "acme", "u1",
                                   {{"name", {"person_name", "Zhang San", ""}},
                                    {"salary_card", {"bank_card", kCard, "financial_5y"}}});
    ASSERT_TRUE(put.ok()) << put.status();
  }
  DataAccess& access() { return vault_->access(); }
  static RequestContext Ctx(Principal p, std::string purpose = "") {
    return RequestContext{std::move(p), "req-1", std::move(purpose)};
  }
  Principal Login(const std::string& name, const std::string& role) {
    absl::StatusOr<IssuedPrincipal> issued = access().CreatePrincipal(root_, "acme", name, {role});
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *Parts(*vault_).principals().Authenticate(issued->api_key);
  }
  absl::StatusOr<SubjectView> Read(const Principal& p, const std::string& purpose) {
    return access().ReadSubject(Ctx(p, purpose), "acme", "u1", {}, RevealLevel::kPlain);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
  RequestContext root_;
  Principal app_, support_, legal_;
};

TEST_F(RetentionTest, RetainedFieldSurvivesErasureForLegalOnlyAndIsShreddedAtExpiry) {
  absl::StatusOr<records::ErasureRecord> erased =
      access().RequestErasure(Ctx(app_), "acme", "u1", absl::ZeroDuration());
  ASSERT_TRUE(erased.ok()) << erased.status();
  ASSERT_EQ(erased->state(), "done");

  // Ordinary readers: the subject is gone.
  EXPECT_TRUE(IsGone(Read(support_, "support").status()));
  // A role without purpose legal cannot use it to get around that.
  EXPECT_FALSE(Read(support_, "legal").ok());
  // Legal readers see exactly the retained field.
  absl::StatusOr<SubjectView> legal = Read(legal_, "legal");
  ASSERT_TRUE(legal.ok()) << legal.status();
  ASSERT_EQ(legal->fields.size(), 1u);
  EXPECT_EQ(legal->fields.at("salary_card").value, kCard);

  absl::StatusOr<std::vector<records::RetainedRecord>> retained =
      access().RetainedOf(Ctx(app_), *erased);
  ASSERT_TRUE(retained.ok());
  ASSERT_EQ(retained->size(), 1u);
  const records::RetainedRecord r = (*retained)[0];
  EXPECT_EQ(r.class_name(), "financial_5y");
  EXPECT_EQ(r.expires_at_unix_ms() - r.retained_at_unix_ms(),
            absl::ToInt64Milliseconds(absl::Hours(24 * 1826)));

  // An epoch rewraps the retention key with the rest.
  ASSERT_TRUE(access().CloseEpoch(root_, "acme").ok());
  ASSERT_TRUE(Read(legal_, "legal").ok());

  // Not yet expired a minute before; a hold keeps it past expiry.
  clock_.Advance(absl::Hours(24 * 1826) - absl::Minutes(1));
  ASSERT_EQ(*Parts(*vault_).lifecycle().RunDue(), 0);
  ASSERT_TRUE(access().PutHold(Ctx(app_), "acme", "u1", "case-7", "tax audit").ok());
  clock_.Advance(absl::Minutes(2));
  ASSERT_EQ(*Parts(*vault_).lifecycle().RunDue(), 0);
  ASSERT_TRUE(Read(legal_, "legal").ok());
  ASSERT_TRUE(access().ReleaseHold(Ctx(app_), "acme", "u1", "case-7").ok());
  ASSERT_EQ(*Parts(*vault_).lifecycle().RunDue(), 1);

  EXPECT_TRUE(IsGone(Read(legal_, "legal").status()));
  const std::string holder = RetentionHolder("u1", "financial_5y");
  EXPECT_TRUE(absl::IsNotFound(
      Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", holder)).status()));
  EXPECT_TRUE(absl::IsNotFound(
      Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", holder, "salary_card")).status()));
  retained = access().RetainedOf(Ctx(app_), *erased);
  ASSERT_EQ(retained->size(), 1u);
  EXPECT_EQ((*retained)[0].state(), "expired");
  absl::StatusOr<records::ErasureRecord> expiry =
      access().GetErasure(Ctx(app_), "acme", (*retained)[0].expiry_erasure_id());
  ASSERT_TRUE(expiry.ok()) << expiry.status();
  EXPECT_EQ(expiry->state(), "done");
  EXPECT_EQ(expiry->receipt().destroyed_key_id().rfind("retention:financial_5y:", 0), 0u);
  EXPECT_TRUE(VerifyReceipt(expiry->receipt(), *Parts(*vault_).keys().SigningPublicKey()).ok());
  // The expiry is in the shred ledger (restores replay it).
  absl::StatusOr<std::vector<records::ErasureRecord>> ledger =
      ListDoneErasures(Parts(*vault_).kv());
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->size(), 2u);
}

TEST_F(RetentionTest, UnknownClassesAreRefusedAndTenantsCanDefineTheirOwn) {
  absl::StatusOr<std::map<std::string, std::string>> bad =
      access().PutSubject(Ctx(app_), "acme", "u2", {{"card", {"bank_card", kCard, "forever"}}});
  ASSERT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find("fields.card"), std::string::npos);

  ASSERT_TRUE(access().PutRetentionClass(root_, "acme", "contract_1y", 365).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(access().PutRetentionClass(root_, "acme", "x", 0).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(access().PutRetentionClass(root_, "acme", "Bad-Name", 10).status()));
  EXPECT_EQ(access().PutRetentionClass(Ctx(app_), "acme", "y", 10).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<std::vector<records::RetentionClassRecord>> classes =
      access().ListRetentionClasses(root_, "acme");
  ASSERT_TRUE(classes.ok());
  ASSERT_EQ(classes->size(), 2u);  // the built-in one and the new one

  ASSERT_TRUE(access()
                  .PutSubject(Ctx(app_), "acme", "u2",
                              {{"contract", {"generic", "contract 42", "contract_1y"}}})
                  .ok());
  ASSERT_TRUE(access().RequestErasure(Ctx(app_), "acme", "u2", absl::ZeroDuration()).ok());
  clock_.Advance(absl::Hours(24 * 365) + absl::Seconds(1));
  ASSERT_EQ(*Parts(*vault_).lifecycle().RunDue(), 1);
  EXPECT_TRUE(IsGone(
      access().ReadSubject(Ctx(legal_, "legal"), "acme", "u2", {}, RevealLevel::kPlain).status()));
}

}  // namespace
}  // namespace vault
