// Tests for the guarded entry point: authentication by API key, roles and
// purposes enforced on every call, one audit entry per subject touched,
// fail-closed audit, and no value in any audit entry or error message.
#include "vault/data_access.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "tests/vault/data_access_fixture.h"
#include "vault/internal/vault_parts.h"

using vault::internal::Parts;

namespace vault {
namespace {

TEST_F(DataAccessTest, ApiKeysAuthenticateAndStopWorkingWhenDeleted) {
  EXPECT_EQ(keys_[0].substr(0, 7), "vaultd_");
  EXPECT_EQ(keys_[0].size(), 50u);
  EXPECT_EQ(tokenizer_.tenant, "acme");
  EXPECT_EQ(tokenizer_.roles.size(), 1u);
  std::string wrong = keys_[0];
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate(wrong).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate("").status()));
  EXPECT_TRUE(
      absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate("Bearer x").status()));
  ASSERT_TRUE(access().DeletePrincipal(root_, "acme", tokenizer_.id).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate(keys_[0]).status()));
  // The key is nowhere in storage in clear.
  for (const auto& table : memory_->Dump()) {
    for (const auto& [k, v] : table) {
      for (const std::string& key : keys_) {
        EXPECT_EQ(k.find(key), std::string::npos);
        EXPECT_EQ(v.find(key), std::string::npos);
      }
    }
  }
}

TEST_F(DataAccessTest, DevModeWritesTheRootApiKeyPrivately) {
  std::ifstream in(vault_->DevRootApiKeyPath());
  std::string key;
  std::getline(in, key);
  absl::StatusOr<Principal> root = Parts(*vault_).principals().Authenticate(key);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(root->is_operator);
  struct stat st {};
  ASSERT_EQ(::stat(vault_->DevRootApiKeyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DataAccessTest, NamesAndRolesAreChecked) {
  EXPECT_TRUE(absl::IsAlreadyExists(
      access().CreatePrincipal(root_, "acme", "svc", {"tokenizer"}).status()));
  EXPECT_TRUE(absl::IsNotFound(access().CreatePrincipal(root_, "acme", "x", {"nope"}).status()));
  EXPECT_TRUE(absl::IsNotFound(access().DeletePrincipal(root_, "globex", support_.id)));
  EXPECT_EQ(access().ListRoles(root_, "acme")->size(), 4u);
  // A tenant principal cannot administer another tenant or create tenants.
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().CreatePrincipal(Ctx(tokenizer_), "acme", "y", {"support"}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(access().CreateTenant(Ctx(support_), "newco", "").status()));
  EXPECT_TRUE(access().CreateTenant(root_, "newco", "cn").ok());
}

TEST_F(DataAccessTest, TokenizeDetokenizeFollowRolesAndPurposes) {
  auto issued = access().Tokenize(
      Ctx(tokenizer_), "acme",
      {{"phone", "+8613800138000", "u-1", "", 0}, {"bank_card", "4111111111111111", "u-1", "", 0}});
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string phone = (*issued)[0].token, card = (*issued)[1].token;

  // Support: masked phones, purpose required.
  auto r =
      access().Detokenize(Ctx(support_, "support"), "acme", {phone, card}, RevealLevel::kMasked);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].value, "+86 138****8000");
  EXPECT_TRUE(absl::IsPermissionDenied((*r)[1].status));
  EXPECT_EQ((*r)[1].value, "");
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(Ctx(support_), "acme", {phone}, RevealLevel::kMasked).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      access()
          .Detokenize(Ctx(support_, "billing"), "acme", {phone}, RevealLevel::kMasked)
          .status()));
  // Above the role's maximum: 403 for the whole call.
  EXPECT_TRUE(absl::IsPermissionDenied(
      access()
          .Detokenize(Ctx(support_, "support"), "acme", {phone}, RevealLevel::kPlain)
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      access()
          .Detokenize(Ctx(support_, "Support!"), "acme", {phone}, RevealLevel::kMasked)
          .status()));
  // Billing: plain cards.
  auto b = *access().Detokenize(Ctx(billing_, "billing"), "acme", {card}, RevealLevel::kPlain);
  EXPECT_EQ(b[0].value, "4111111111111111");
  // The tokenizer cannot read back; the root operator reads nothing.
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(Ctx(tokenizer_), "acme", {phone}, RevealLevel::kTokenOnly).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(root_, "acme", {phone}, RevealLevel::kMasked).status()));
  // A support principal of acme on globex's path: 403.
  EXPECT_TRUE(absl::IsPermissionDenied(
      access()
          .Detokenize(Ctx(support_, "support"), "globex", {phone}, RevealLevel::kMasked)
          .status()));
  // Globex's support principal on its own path: acme's token is unknown there.
  auto g = *access().Detokenize(Ctx(globex_support_, "support"), "globex", {phone},
                                RevealLevel::kMasked);
  EXPECT_TRUE(absl::IsNotFound(g[0].status));
}

TEST_F(DataAccessTest, SubjectReadsWithholdFieldsTheRoleMayNotSee) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}},
                               {"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  auto view =
      access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {}, RevealLevel::kMasked);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->fields.size(), 1u);
  EXPECT_EQ(view->fields.at("mobile").value, "+86 138****8000");
  EXPECT_EQ(view->withheld, std::vector<std::string>{"card"});
  // Writing a type the role does not cover is refused whole.
  records::RoleRecord narrow = MakeRole("phones-only", {"write"}, {"phone"}, "token_only");
  ASSERT_TRUE(access().PutRole(root_, "acme", narrow).ok());
  Principal writer = Login("acme", "writer", {"phones-only"});
  EXPECT_TRUE(
      absl::IsPermissionDenied(access()
                                   .PutSubject(Ctx(writer), "acme", "u-2",
                                               {{"mobile", {"phone", "+8613800138000", ""}},
                                                {"card", {"bank_card", "4111111111111111", ""}}})
                                   .status()));
  EXPECT_TRUE(absl::IsNotFound(
      access()
          .ReadSubject(Ctx(support_, "support"), "acme", "u-2", {}, RevealLevel::kMasked)
          .status()));
}

TEST_F(DataAccessTest, DeleteAndRevokeAreCheckedAgainstTheDataType) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}},
                               {"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  auto card_token =
      *access().Tokenize(Ctx(tokenizer_), "acme", {{"bank_card", "4111111111111111", "", "", 0}});
  ASSERT_TRUE(access()
                  .PutRole(root_, "acme",
                           MakeRole("phone-clerk", {"write", "tokenize", "revoke"}, {"phone"},
                                    "token_only"))
                  .ok());
  Principal clerk = Login("acme", "clerk", {"phone-clerk"});
  EXPECT_TRUE(absl::IsPermissionDenied(access().DeleteField(Ctx(clerk), "acme", "u-1", "card")));
  EXPECT_TRUE(absl::IsPermissionDenied(access().Revoke(Ctx(clerk), "acme", card_token[0].token)));
  EXPECT_TRUE(access().DeleteField(Ctx(clerk), "acme", "u-1", "mobile").ok());
  EXPECT_EQ(AllEntries().back().outcome(), "allowed");
  // Being able to make a token (tokenize) is not enough to revoke it: a
  // deterministic token is shared by every caller of the same value.
  EXPECT_TRUE(
      absl::IsPermissionDenied(access().Revoke(Ctx(tokenizer_), "acme", card_token[0].token)));
  EXPECT_EQ(AllEntries().back().action(), "revoke");
  EXPECT_EQ(AllEntries().back().outcome(), "denied");
  ASSERT_TRUE(
      access().PutRole(root_, "acme", MakeRole("revoker", {"revoke"}, {"*"}, "token_only")).ok());
  Principal revoker = Login("acme", "revoker", {"revoker"});
  EXPECT_TRUE(access().Revoke(Ctx(revoker), "acme", card_token[0].token).ok());
}

TEST_F(DataAccessTest, ReplacingAFieldNeedsWriteOnItsStoredTypeToo) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  ASSERT_TRUE(
      access()
          .PutRole(root_, "acme", MakeRole("phone-writer", {"write"}, {"phone"}, "token_only"))
          .ok());
  Principal writer = Login("acme", "writer", {"phone-writer"});
  // A phone over the card: refused, logged, and the card is still there.
  absl::Status over =
      access()
          .PutSubject(Ctx(writer), "acme", "u-1", {{"card", {"phone", "+8613800138000", ""}}})
          .status();
  EXPECT_TRUE(absl::IsPermissionDenied(over)) << over;
  EXPECT_EQ(AllEntries().back().outcome(), "denied");
  EXPECT_EQ(AllEntries().back().types_size(), 2);
  auto read =
      access().ReadSubject(Ctx(billing_, "billing"), "acme", "u-1", {"card"}, RevealLevel::kPlain);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->fields.at("card").value, "4111111111111111");
  // A new field of its own type is fine.
  EXPECT_TRUE(
      access()
          .PutSubject(Ctx(writer), "acme", "u-1", {{"mobile", {"phone", "+8613800138000", ""}}})
          .ok());
}

TEST_F(DataAccessTest, AHeldSubjectsFieldsCannotBeReplacedOrDeleted) {
  ASSERT_TRUE(
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"mobile", {"phone", "+8613800138000", ""}}})
          .ok());
  ASSERT_TRUE(access().PutRole(root_, "acme", MakeRole("legal", {"hold"}, {}, "token_only")).ok());
  Principal legal = Login("acme", "legal", {"legal"});
  ASSERT_TRUE(access().PutHold(Ctx(legal), "acme", "u-1", "case-1", "dispute").ok());
  absl::Status replaced =
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"mobile", {"phone", "+14155552671", ""}}})
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(replaced)) << replaced;
  EXPECT_TRUE(
      absl::IsFailedPrecondition(access().DeleteField(Ctx(tokenizer_), "acme", "u-1", "mobile")));
  // Adding a field replaces nothing and stays allowed.
  EXPECT_TRUE(
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"email", {"email", "a@example.com", ""}}})
          .ok());
  auto read = access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {"mobile"},
                                   RevealLevel::kMasked);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->fields.at("mobile").value, "+86 138****8000");
  ASSERT_TRUE(access().ReleaseHold(Ctx(legal), "acme", "u-1", "case-1").ok());
  EXPECT_TRUE(
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"mobile", {"phone", "+14155552671", ""}}})
          .ok());
  EXPECT_TRUE(access().DeleteField(Ctx(tokenizer_), "acme", "u-1", "mobile").ok());
}

TEST_F(DataAccessTest, AFieldUnderARetentionClassKeepsItsType) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"salary", {"bank_card", "4111111111111111", "financial_5y"}}})
                  .ok());
  absl::Status other_type =
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"salary", {"phone", "+8613800138000", ""}}})
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(other_type)) << other_type;
  EXPECT_NE(other_type.message().find("fields.salary"), std::string::npos);
  // The same type may be updated (a new card number).
  EXPECT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"salary", {"bank_card", "5555555555554444", "financial_5y"}}})
                  .ok());
}
}  // namespace
}  // namespace vault
