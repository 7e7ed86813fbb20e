// Tests for the guarded entry point: authentication by API key, roles and
// purposes enforced on every call, one audit entry per subject touched,
// fail-closed audit, and no value in any audit entry or error message.
#include "vault/data_access.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <random>

#include "tests/testing/fault_kv_store.h"
#include "tests/testing/vault_fixture.h"
#include "vault/storage/memory_kv_store.h"
#include "vault/internal/vault_parts.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;

records::RoleRecord MakeRole(std::string name, std::vector<std::string> actions,
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
                            MakeRole("support", {"detokenize", "read", "search"}, {"phone", "email"},
                                     "masked", {"support"}, true)));
      Must(access().PutRole(root_, tenant,
                            MakeRole("billing", {"detokenize", "read"}, {"bank_card"}, "plain",
                                     {"billing"}, true)));
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
                    ->ScanPrefix(Table::kAudit, "e",
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
  FakeClock clock_;
  std::unique_ptr<storage::MemoryKvStore> memory_;
  testing::FaultInjectingKvStore* faulty_ = nullptr;
  std::unique_ptr<Vault> vault_;
  RequestContext root_;
  Principal tokenizer_, support_, billing_, auditor_, globex_support_;
  std::vector<std::string> keys_;
};

TEST_F(DataAccessTest, ApiKeysAuthenticateAndStopWorkingWhenDeleted) {
  EXPECT_EQ(keys_[0].substr(0, 7), "vaultd_");
  EXPECT_EQ(keys_[0].size(), 50u);
  EXPECT_EQ(tokenizer_.tenant, "acme");
  EXPECT_EQ(tokenizer_.roles.size(), 1u);
  std::string wrong = keys_[0];
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate(wrong).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate("").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(Parts(*vault_).principals().Authenticate("Bearer x").status()));
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
  auto issued = access().Tokenize(Ctx(tokenizer_), "acme",
                                  {{"phone", "+8613800138000", "u-1", "", 0},
                                   {"bank_card", "4111111111111111", "u-1", "", 0}});
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string phone = (*issued)[0].token, card = (*issued)[1].token;

  // Support: masked phones, purpose required.
  auto r = access().Detokenize(Ctx(support_, "support"), "acme", {phone, card},
                               RevealLevel::kMasked);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].value, "+86 138****8000");
  EXPECT_TRUE(absl::IsPermissionDenied((*r)[1].status));
  EXPECT_EQ((*r)[1].value, "");
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(Ctx(support_), "acme", {phone}, RevealLevel::kMasked).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(Ctx(support_, "billing"), "acme", {phone}, RevealLevel::kMasked).status()));
  // Above the role's maximum: 403 for the whole call.
  EXPECT_TRUE(absl::IsPermissionDenied(
      access().Detokenize(Ctx(support_, "support"), "acme", {phone}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      access().Detokenize(Ctx(support_, "Support!"), "acme", {phone}, RevealLevel::kMasked).status()));
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
      access().Detokenize(Ctx(support_, "support"), "globex", {phone}, RevealLevel::kMasked).status()));
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
  auto view = access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {}, RevealLevel::kMasked);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->fields.size(), 1u);
  EXPECT_EQ(view->fields.at("mobile").value, "+86 138****8000");
  EXPECT_EQ(view->withheld, std::vector<std::string>{"card"});
  // Writing a type the role does not cover is refused whole.
  records::RoleRecord narrow = MakeRole("phones-only", {"write"}, {"phone"}, "token_only");
  ASSERT_TRUE(access().PutRole(root_, "acme", narrow).ok());
  Principal writer = Login("acme", "writer", {"phones-only"});
  EXPECT_TRUE(absl::IsPermissionDenied(
      access()
          .PutSubject(Ctx(writer), "acme", "u-2",
                      {{"mobile", {"phone", "+8613800138000", ""}},
                       {"card", {"bank_card", "4111111111111111", ""}}})
          .status()));
  EXPECT_TRUE(absl::IsNotFound(
      access().ReadSubject(Ctx(support_, "support"), "acme", "u-2", {}, RevealLevel::kMasked).status()));
}

TEST_F(DataAccessTest, DeleteAndRevokeAreCheckedAgainstTheDataType) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}},
                               {"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  auto card_token = *access().Tokenize(Ctx(tokenizer_), "acme",
                                       {{"bank_card", "4111111111111111", "", "", 0}});
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
      access().PutRole(root_, "acme", MakeRole("phone-writer", {"write"}, {"phone"}, "token_only"))
          .ok());
  Principal writer = Login("acme", "writer", {"phone-writer"});
  // A phone over the card: refused, logged, and the card is still there.
  absl::Status over = access()
                          .PutSubject(Ctx(writer), "acme", "u-1",
                                      {{"card", {"phone", "+8613800138000", ""}}})
                          .status();
  EXPECT_TRUE(absl::IsPermissionDenied(over)) << over;
  EXPECT_EQ(AllEntries().back().outcome(), "denied");
  EXPECT_EQ(AllEntries().back().types_size(), 2);
  auto read = access().ReadSubject(Ctx(billing_, "billing"), "acme", "u-1", {"card"},
                                   RevealLevel::kPlain);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->fields.at("card").value, "4111111111111111");
  // A new field of its own type is fine.
  EXPECT_TRUE(access()
                  .PutSubject(Ctx(writer), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}}})
                  .ok());
}

TEST_F(DataAccessTest, AHeldSubjectsFieldsCannotBeReplacedOrDeleted) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}}})
                  .ok());
  ASSERT_TRUE(
      access().PutRole(root_, "acme", MakeRole("legal", {"hold"}, {}, "token_only")).ok());
  Principal legal = Login("acme", "legal", {"legal"});
  ASSERT_TRUE(access().PutHold(Ctx(legal), "acme", "u-1", "case-1", "dispute").ok());
  absl::Status replaced = access()
                              .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                                          {{"mobile", {"phone", "+14155552671", ""}}})
                              .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(replaced)) << replaced;
  EXPECT_TRUE(absl::IsFailedPrecondition(access().DeleteField(Ctx(tokenizer_), "acme", "u-1",
                                                              "mobile")));
  // Adding a field replaces nothing and stays allowed.
  EXPECT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"email", {"email", "a@example.com", ""}}})
                  .ok());
  auto read = access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {"mobile"},
                                   RevealLevel::kMasked);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->fields.at("mobile").value, "+86 138****8000");
  ASSERT_TRUE(access().ReleaseHold(Ctx(legal), "acme", "u-1", "case-1").ok());
  EXPECT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+14155552671", ""}}})
                  .ok());
  EXPECT_TRUE(access().DeleteField(Ctx(tokenizer_), "acme", "u-1", "mobile").ok());
}

TEST_F(DataAccessTest, AFieldUnderARetentionClassKeepsItsType) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"salary", {"bank_card", "4111111111111111", "financial_5y"}}})
                  .ok());
  absl::Status other_type = access()
                                .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                                            {{"salary", {"phone", "+8613800138000", ""}}})
                                .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(other_type)) << other_type;
  EXPECT_NE(other_type.message().find("fields.salary"), std::string::npos);
  // The same type may be updated (a new card number).
  EXPECT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"salary", {"bank_card", "5555555555554444", "financial_5y"}}})
                  .ok());
}

TEST_F(DataAccessTest, ExportGivesEverythingForASubjectAccessRequest) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}},
                               {"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  ASSERT_TRUE(access().PutRole(root_, "acme",
                               MakeRole("dpo", {"export", "hold", "erase"}, {"*"}, "plain",
                                        {"subject_request"})).ok());
  Principal dpo = Login("acme", "privacy-officer", {"dpo"});
  ASSERT_TRUE(access().PutHold(Ctx(dpo), "acme", "u-1", "dispute-1", "dispute").ok());
  auto ex = access().Export(Ctx(dpo), "acme", "u-1");
  ASSERT_TRUE(ex.ok()) << ex.status();
  EXPECT_EQ(ex->fields.at("card").value, "4111111111111111");
  EXPECT_EQ(ex->fields.at("mobile").value, "+8613800138000");
  ASSERT_EQ(ex->holds.size(), 1u);
  EXPECT_EQ(ex->holds[0].hold_id(), "dispute-1");
  EXPECT_FALSE(ex->pending_erasure.has_value());
  EXPECT_GE(ex->access_report.size(), 2u);  // the write and the hold
  EXPECT_EQ(AllEntries().back().action(), "export");
  EXPECT_EQ(AllEntries().back().purpose(), "subject_request");
  // Support may not export; a partial export is refused, not trimmed.
  EXPECT_TRUE(absl::IsPermissionDenied(access().Export(Ctx(support_, "support"), "acme", "u-1").status()));
  ASSERT_TRUE(access().PutRole(root_, "acme",
                               MakeRole("narrow", {"export"}, {"phone"}, "plain", {"subject_request"})).ok());
  Principal narrow = Login("acme", "narrow", {"narrow"});
  EXPECT_TRUE(absl::IsPermissionDenied(access().Export(Ctx(narrow), "acme", "u-1").status()));
}

TEST_F(DataAccessTest, EveryReadAndRefusalIsLoggedPerSubject) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme",
                              {{"phone", "+8613800138000", "u-1", "", 0},
                               {"phone", "+8613900139000", "u-2", "", 0},
                               {"bank_card", "4111111111111111", "u-2", "", 0}});
  const size_t before = AllEntries().size();
  auto r = *access().Detokenize(Ctx(support_, "support"), "acme",
                                {t[0].token, t[1].token, t[2].token}, RevealLevel::kMasked);
  std::vector<records::AuditEntry> entries = AllEntries();
  ASSERT_EQ(entries.size(), before + 2);  // u-1 and u-2
  const records::AuditEntry& u2 = entries.back();
  EXPECT_EQ(u2.subject(), "u-2");
  EXPECT_EQ(u2.principal(), support_.id);
  EXPECT_EQ(u2.action(), "detokenize");
  EXPECT_EQ(u2.purpose(), "support");
  EXPECT_EQ(u2.outcome(), "allowed");
  EXPECT_EQ(u2.request_id(), "req-1");
  EXPECT_EQ(u2.types_size(), 2);  // phone returned, bank_card refused
  EXPECT_EQ(u2.fingerprints_size(), 2);
  // A refused call writes a denied entry.
  EXPECT_FALSE(access().Detokenize(Ctx(support_), "acme", {t[0].token}, RevealLevel::kMasked).ok());
  EXPECT_EQ(AllEntries().back().outcome(), "denied");
  EXPECT_EQ(AllEntries().back().reason(), "the role requires a stated purpose");
  // The subject's access report.
  AuditQuery q;
  q.tenant = "acme";
  q.subject = "u-2";
  auto report = access().QueryAudit(Ctx(auditor_), q);
  ASSERT_TRUE(report.ok()) << report.status();
  // tokenize, detokenize, and this very query of u-2's report.
  ASSERT_EQ(report->entries.size(), 3u);
  EXPECT_EQ(report->entries[0].action(), "tokenize");
  EXPECT_EQ(report->entries[1].action(), "detokenize");
  EXPECT_EQ(report->entries[2].action(), "audit");
  EXPECT_TRUE(absl::IsPermissionDenied(access().QueryAudit(Ctx(support_, "support"), q).status()));
  // And the chain verifies.
  auto v = *Parts(*vault_).audit().Verify();
  EXPECT_TRUE(v.ok) << v.problem;
}

TEST_F(DataAccessTest, StorageFaultOnTheAuditEntryReturnsNoData) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", "+8613800138000", "u-1", "", 0}});
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"mobile", {"phone", "+8613800138000", ""}}})
                  .ok());
  const size_t before = AllEntries().size();
  faulty_->FailWrites(1);
  auto r = access().Detokenize(Ctx(support_, "support"), "acme", {t[0].token},
                               RevealLevel::kMasked);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  faulty_->FailWrites(1);
  auto view = access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {}, RevealLevel::kMasked);
  EXPECT_TRUE(absl::IsUnavailable(view.status())) << view.status();
  EXPECT_EQ(AllEntries().size(), before);
  // With storage back, reads work and are logged.
  EXPECT_TRUE(access().Detokenize(Ctx(support_, "support"), "acme", {t[0].token},
                                  RevealLevel::kMasked).ok());
  EXPECT_EQ(AllEntries().size(), before + 1);
}

TEST_F(DataAccessTest, SealedAuditKeyMeansNoDataEither) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", "+8613800138000", "", "", 0}});
  Parts(*vault_).keys().Seal();
  EXPECT_FALSE(access().Detokenize(Ctx(support_, "support"), "acme", {t[0].token},
                                   RevealLevel::kMasked).ok());
}

// Across a random mix of calls, the audit log holds exactly one entry per
// (call, subject) that returned or refused data, plus one per write.
TEST_F(DataAccessTest, RandomisedWorkloadLogsEveryReadAndRefusal) {
  std::mt19937 rng(42);
  std::vector<std::string> tokens;
  std::vector<std::string> written_values;
  const size_t before = AllEntries().size();
  size_t expected = 0;
  for (int i = 0; i < 400; ++i) {
    const int op = static_cast<int>(rng() % 5);
    const std::string subject = "u-" + std::to_string(rng() % 5);
    if (op == 0 || tokens.empty()) {
      std::string value = "+86139" + std::to_string(10000000 + static_cast<int>(rng() % 9000000));
      written_values.push_back(value);
      auto r = access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", value, subject, "", 0}});
      ASSERT_TRUE(r.ok());
      tokens.push_back(r->at(0).token);
      expected += 1;  // one subject per call
    } else if (op == 1) {
      const std::string& tok = tokens[rng() % tokens.size()];
      auto r = access().Detokenize(Ctx(support_, "support"), "acme", {tok}, RevealLevel::kMasked);
      ASSERT_TRUE(r.ok());
      expected += 1;
    } else if (op == 2) {
      // Refused at call level (no purpose).
      EXPECT_FALSE(access().Detokenize(Ctx(support_), "acme", {tokens[0]}, RevealLevel::kMasked).ok());
      expected += 1;
    } else if (op == 3) {
      // Unknown tokens return and refuse nothing: no entry.
      auto r = access().Detokenize(Ctx(support_, "support"), "acme",
                                   {"tok_AAAAAAAAAAAAAAAAAAAAAA"}, RevealLevel::kMasked);
      ASSERT_TRUE(r.ok());
    } else {
      auto found = access().Search(Ctx(support_, "support"), "acme", "phone",
                                   written_values[rng() % written_values.size()]);
      ASSERT_TRUE(found.ok());
      expected += std::max<size_t>(1, found->size());
    }
  }
  EXPECT_EQ(AllEntries().size() - before, expected);
  // No audit entry holds a value.
  for (const records::AuditEntry& e : AllEntries()) {
    std::string bytes = e.SerializeAsString();
    for (const std::string& v : written_values) {
      ASSERT_EQ(bytes.find(v), std::string::npos);
      ASSERT_EQ(bytes.find(v.substr(1)), std::string::npos);
    }
  }
}

TEST_F(DataAccessTest, ErrorMessagesCarryNoValues) {
  const std::vector<std::string> secrets = {"+8613800138001", "4111111111111112", "11010519491231002Y",
                                            "not-an-email", "1999-02-30"};
  std::vector<std::string> messages;
  messages.push_back(std::string(access().Tokenize(Ctx(tokenizer_), "acme",
                                                   {{"phone", secrets[0] + "x", "", "", 0}})
                                     .status()
                                     .message()));
  messages.push_back(std::string(
      access().Tokenize(Ctx(tokenizer_), "acme", {{"bank_card", secrets[1], "", "", 0}}).status().message()));
  messages.push_back(std::string(access()
                                     .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                                                 {{"id", {"cn_resident_id", secrets[2], ""}},
                                                  {"mail", {"email", secrets[3], ""}}})
                                     .status()
                                     .message()));
  messages.push_back(std::string(
      access().PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"dob", {"date_of_birth", secrets[4], ""}}})
          .status()
          .message()));
  messages.push_back(std::string(
      access().Search(Ctx(support_, "support"), "acme", "phone", secrets[0] + "x").status().message()));
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    for (const std::string& s : secrets) {
      EXPECT_EQ(m.find(s), std::string::npos) << m;
      EXPECT_EQ(m.find(s.substr(2, 8)), std::string::npos) << m;
    }
  }
}

}  // namespace
}  // namespace vault
