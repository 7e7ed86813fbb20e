// Tests for PrincipalStore: roles, principals and API-key authentication
// (right, wrong, revoked and other-tenant keys), on an in-memory vault.
#include "vault/access/principal_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::IsOk;
using ::testing::Property;
using ::testing::SizeIs;
using testing::StatusIs;

records::RoleRecord MakeRole(std::string name, std::vector<std::string> actions,
                             std::vector<std::string> types, std::string max_reveal) {
  records::RoleRecord r;
  r.set_name(std::move(name));
  for (std::string& a : actions) r.add_actions(std::move(a));
  for (std::string& t : types) r.add_types(std::move(t));
  r.set_max_reveal(std::move(max_reveal));
  return r;
}

class PrincipalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "globex"},
                                     std::make_unique<storage::MemoryKvStore>());
    ASSERT_THAT(store().PutRole("acme", MakeRole("reader", {"read"}, {"phone"}, "masked"), {}),
                IsOk());
  }
  PrincipalStore& store() { return Parts(*vault_).principals(); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(PrincipalStoreTest, RolesAreStoredPerTenantWithAMaskedDefault) {
  absl::StatusOr<records::RoleRecord> put =
      store().PutRole("acme", MakeRole("writer", {"write"}, {"*"}, ""), {});
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->tenant(), "acme");
  EXPECT_EQ(put->max_reveal(), "masked");
  absl::StatusOr<std::vector<records::RoleRecord>> acme = store().ListRoles("acme");
  ASSERT_THAT(acme, IsOk());
  EXPECT_THAT(*acme, ElementsAre(Property(&records::RoleRecord::name, "reader"),
                                 Property(&records::RoleRecord::name, "writer")));
  EXPECT_THAT(store().ListRoles("globex"), testing::IsOkAndHolds(IsEmpty()));
  // Replacing a role keeps one record.
  ASSERT_THAT(store().PutRole("acme", MakeRole("writer", {"write"}, {"email"}, "plain"), {}),
              IsOk());
  EXPECT_THAT(store().ListRoles("acme"), testing::IsOkAndHolds(SizeIs(2)));
}

TEST_F(PrincipalStoreTest, BadRolesAndUnknownTenantsAreRefused) {
  EXPECT_THAT(store().PutRole("acme", MakeRole("bad", {"fly"}, {"phone"}, "masked"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().PutRole("acme", MakeRole("bad", {"read"}, {"no-such-type"}, "masked"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().PutRole("initech", MakeRole("reader", {"read"}, {"phone"}, "masked"), {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().ListRoles("initech"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().ListRoles("acme"), testing::IsOkAndHolds(SizeIs(1)));
}

TEST_F(PrincipalStoreTest, CreatedPrincipalAuthenticatesWithItsRoles) {
  absl::StatusOr<IssuedPrincipal> issued =
      store().CreatePrincipal("acme", "billing", {"reader"}, {});
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->name, "billing");
  EXPECT_EQ(issued->id.rfind("p_", 0), 0u);
  EXPECT_FALSE(issued->api_key.empty());
  absl::StatusOr<Principal> who = store().Authenticate(issued->api_key);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->id, issued->id);
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_EQ(who->name, "billing");
  EXPECT_FALSE(who->is_operator);
  ASSERT_THAT(who->roles, SizeIs(1));
  EXPECT_EQ(who->roles[0].name, "reader");
  EXPECT_EQ(who->roles[0].max_reveal, RevealLevel::kMasked);
  // Twice (the second answer may come from the cache): the same principal.
  absl::StatusOr<Principal> again = store().Authenticate(issued->api_key);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id, issued->id);
}

TEST_F(PrincipalStoreTest, EachPrincipalGetsItsOwnKeyAndNamesAreUniquePerTenant) {
  IssuedPrincipal a = *store().CreatePrincipal("acme", "svc-a", {"reader"}, {});
  IssuedPrincipal b = *store().CreatePrincipal("acme", "svc-b", {}, {});
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.api_key, b.api_key);
  EXPECT_EQ(store().Authenticate(b.api_key)->id, b.id);
  EXPECT_THAT(store().Authenticate(b.api_key)->roles, IsEmpty());
  EXPECT_THAT(store().CreatePrincipal("acme", "svc-a", {}, {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The same name in another tenant is another principal.
  EXPECT_THAT(store().CreatePrincipal("globex", "svc-a", {}, {}), IsOk());
}

TEST_F(PrincipalStoreTest, BadNamesUnknownRolesAndTenantsAreRefused) {
  EXPECT_THAT(store().CreatePrincipal("acme", "Bad Name", {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().CreatePrincipal("acme", "", {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().CreatePrincipal("acme", "svc", {"no-such-role"}, {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().CreatePrincipal("initech", "svc", {}, {}),
              StatusIs(absl::StatusCode::kNotFound));
  // A role of another tenant is unknown here.
  EXPECT_THAT(store().CreatePrincipal("globex", "svc", {"reader"}, {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PrincipalStoreTest, WrongAndMalformedKeysAreUnauthenticated) {
  IssuedPrincipal issued = *store().CreatePrincipal("acme", "svc", {"reader"}, {});
  std::string wrong = issued.api_key;
  char& c = wrong[wrong.size() - 10];
  c = c == 'A' ? 'B' : 'A';  // same form, another key
  EXPECT_THAT(store().Authenticate(wrong), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store().Authenticate(""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store().Authenticate("not-a-key"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store().Authenticate(issued.api_key), IsOk());  // control
}

TEST_F(PrincipalStoreTest, RevokedKeyStopsWorkingAtOnce) {
  IssuedPrincipal issued = *store().CreatePrincipal("acme", "svc", {"reader"}, {});
  ASSERT_THAT(store().Authenticate(issued.api_key), IsOk());  // now cached
  // Another tenant cannot delete it.
  EXPECT_THAT(store().DeletePrincipal("globex", issued.id, {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Authenticate(issued.api_key), IsOk());
  ASSERT_THAT(store().DeletePrincipal("acme", issued.id, {}), IsOk());
  EXPECT_THAT(store().Authenticate(issued.api_key), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store().DeletePrincipal("acme", issued.id, {}),
              StatusIs(absl::StatusCode::kNotFound));
  // The name is free again, and the new key is a different one.
  absl::StatusOr<IssuedPrincipal> reissued = store().CreatePrincipal("acme", "svc", {}, {});
  ASSERT_THAT(reissued, IsOk());
  EXPECT_NE(reissued->api_key, issued.api_key);
  EXPECT_THAT(store().Authenticate(issued.api_key), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalStoreTest, ChangedRoleAppliesToTheNextAuthentication) {
  IssuedPrincipal issued = *store().CreatePrincipal("acme", "svc", {"reader"}, {});
  ASSERT_EQ(store().Authenticate(issued.api_key)->roles[0].max_reveal, RevealLevel::kMasked);
  ASSERT_THAT(store().PutRole("acme", MakeRole("reader", {"read"}, {"phone"}, "plain"), {}),
              IsOk());
  EXPECT_EQ(store().Authenticate(issued.api_key)->roles[0].max_reveal, RevealLevel::kPlain);
}

// Console/#18: the listing behind GET /v1/tenants/{t}/principals.
TEST_F(PrincipalStoreTest, ListsATenantsPrincipalsByNameWithoutTheirKeys) {
  clock_.Advance(absl::Seconds(5));
  IssuedPrincipal zed = *store().CreatePrincipal("acme", "zed", {"reader"}, {});
  IssuedPrincipal amy = *store().CreatePrincipal("acme", "amy", {}, {});
  IssuedPrincipal gone = *store().CreatePrincipal("acme", "gone", {"reader"}, {});
  ASSERT_THAT(store().CreatePrincipal("globex", "other", {}, {}), IsOk());
  ASSERT_THAT(store().DeletePrincipal("acme", gone.id, {}), IsOk());
  absl::StatusOr<std::vector<PrincipalInfo>> listed = store().ListPrincipals("acme");
  ASSERT_THAT(listed, IsOk());
  ASSERT_THAT(*listed, SizeIs(2));  // not the deleted one, not globex's
  EXPECT_EQ((*listed)[0].id, amy.id);
  EXPECT_EQ((*listed)[0].name, "amy");
  EXPECT_THAT((*listed)[0].roles, IsEmpty());
  EXPECT_EQ((*listed)[1].id, zed.id);
  EXPECT_THAT((*listed)[1].roles, ElementsAre("reader"));
  EXPECT_EQ((*listed)[1].created_at_unix_ms, absl::ToUnixMillis(clock_.Now()));
  EXPECT_THAT(store().ListPrincipals("globex"), testing::IsOkAndHolds(SizeIs(1)));
  EXPECT_THAT(store().ListPrincipals("initech"), StatusIs(absl::StatusCode::kNotFound));
  Parts(*vault_).keys().Seal();
  EXPECT_TRUE(IsSealed(store().ListPrincipals("acme").status()));
}

TEST_F(PrincipalStoreTest, RootKeyIsTheOperatorAndNothingAuthenticatesWhileSealed) {
  absl::StatusOr<Principal> root = store().Authenticate(testing::ReadRootKey(*vault_));
  ASSERT_THAT(root, IsOk());
  EXPECT_TRUE(root->is_operator);
  EXPECT_EQ(root->id, kRootPrincipalId);
  IssuedPrincipal issued = *store().CreatePrincipal("acme", "svc", {}, {});
  Parts(*vault_).keys().Seal();
  EXPECT_TRUE(IsSealed(store().Authenticate(issued.api_key).status()));
  EXPECT_TRUE(IsSealed(store().CreatePrincipal("acme", "svc2", {}, {}).status()));
  ASSERT_THAT(Parts(*vault_).keys().UnsealWithKeyFile(vault_->DevKeyFilePath()), IsOk());
  EXPECT_EQ(store().Authenticate(issued.api_key)->id, issued.id);
}

TEST(PrincipalNameTest, AcceptsOnlyShortLowercaseNames) {
  EXPECT_THAT(ValidatePrincipalName("svc-a_1"), testing::IsOk());
  EXPECT_THAT(ValidatePrincipalName(std::string(64, 'a')), testing::IsOk());
  EXPECT_THAT(ValidatePrincipalName(std::string(65, 'a')),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePrincipalName("UPPER"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePrincipalName("a b"), testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vault
