// Audit entries name subjects by pseudonyms that die with the subject
// (#17 "audit that forgets"): the per-subject query works while the
// subject lives; after its erasure nothing in the audit table names it,
// and the chain still verifies.
#include "vault/audit/subject_pseudonyms.h"

#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/vault/data_access_fixture.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

class SubjectPseudonymsTest : public DataAccessTest {
 protected:
  // Every byte of the audit table (entries, head, checkpoints).
  std::string AuditTableBytes() {
    std::string all;
    EXPECT_TRUE(memory_
                    ->ScanPrefix(storage::Table::kAudit, "",
                                 [&](std::string_view k, std::string_view v) {
                                   all.append(k);
                                   all.append(v);
                                   return true;
                                 })
                    .ok());
    return all;
  }
  std::vector<records::AuditEntry> Query(std::string_view subject) {
    AuditQuery q;
    q.tenant = "acme";
    q.subject = std::string(subject);
    q.limit = 1000;
    absl::StatusOr<AuditPage> page = access().QueryAudit(Ctx(auditor_), q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->entries : std::vector<records::AuditEntry>{};
  }
  std::string Tokenize(std::string_view subject) {
    auto t = access().Tokenize(Ctx(tokenizer_), "acme",
                               {{"phone", "+8613800138000", std::string(subject), "", 0}});
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? (*t)[0].token : "";
  }
};

TEST_F(SubjectPseudonymsTest, EntriesNameSubjectsByPseudonymsTheQueryResolves) {
  const std::string t1 = Tokenize("alice-1");
  const std::string t2 = Tokenize("bob-2");
  ASSERT_TRUE(
      access().Detokenize(Ctx(support_, "support"), "acme", {t1, t2}, RevealLevel::kMasked).ok());
  std::vector<records::AuditEntry> all = AllEntries();
  std::set<std::string> refs;
  for (const records::AuditEntry& e : all) {
    EXPECT_TRUE(e.subject().empty()) << "entry " << e.seq() << " names " << e.subject();
    if (!e.subject_ref().empty()) refs.insert(e.subject_ref());
  }
  ASSERT_EQ(refs.size(), 2u);  // one pseudonym per subject, stable across entries
  for (const std::string& r : refs) EXPECT_EQ(r.substr(0, 3), "sp_");
  EXPECT_EQ(AuditTableBytes().find("alice-1"), std::string::npos);

  // The per-subject query finds them by recomputing the pseudonym, and
  // shows the id the caller named.
  std::vector<records::AuditEntry> alice = Query("alice-1");
  ASSERT_EQ(alice.size(), 3u);  // tokenize, detokenize, this query
  for (const records::AuditEntry& e : alice) EXPECT_EQ(e.subject(), "alice-1");
  EXPECT_EQ(alice[0].action(), "tokenize");
  EXPECT_EQ(alice[1].action(), "detokenize");
  EXPECT_EQ(Query("bob-2").size(), 3u);
  EXPECT_TRUE(Query("nobody-3").size() == 1u);  // only the query that named it

  // The same subject id in another tenant has another pseudonym.
  Principal globex_tokenizer = Login("globex", "svc", {"tokenizer"});
  ASSERT_TRUE(access()
                  .Tokenize(Ctx(globex_tokenizer), "globex",
                            {{"phone", "+8613800138000", "alice-1", "", 0}})
                  .ok());
  std::string globex_ref;
  for (const records::AuditEntry& e : AllEntries()) {
    if (e.tenant() == "globex" && e.subject_ref().substr(0, 3) == "sp_")
      globex_ref = e.subject_ref();
  }
  EXPECT_EQ(globex_ref.empty(), false);
  EXPECT_EQ(refs.count(globex_ref), 0u);
}

TEST_F(SubjectPseudonymsTest, AfterErasureNothingInTheAuditTableNamesTheSubject) {
  const std::string t1 = Tokenize("carol-9");
  const std::string t2 = Tokenize("dave-4");
  ASSERT_TRUE(
      access().Detokenize(Ctx(support_, "support"), "acme", {t1, t2}, RevealLevel::kMasked).ok());
  ASSERT_EQ(Query("carol-9").size(), 3u);
  ASSERT_TRUE(
      memory_->Get(storage::Table::kSubjectKeys, SubjectKey("acme", AuditKeyHolder("carol-9")))
          .ok());
  ASSERT_TRUE(
      access().PutRole(root_, "acme", MakeRole("eraser", {"erase"}, {}, "token_only")).ok());
  Principal eraser = Login("acme", "eraser", {"eraser"});
  // A recorded consent: its rows' keys name the subject, so the shred deletes them.
  Consent consent;
  consent.withdrawn_purposes = {"marketing"};
  ASSERT_TRUE(access().PutConsent(Ctx(tokenizer_), "acme", "carol-9", consent).ok());
  auto consent_rows = [&] {
    int rows = 0;
    EXPECT_TRUE(memory_
                    ->ScanPrefix(storage::Table::kLedger, ConsentPrefix("acme", "carol-9"),
                                 [&](std::string_view, std::string_view) {
                                   ++rows;
                                   return true;
                                 })
                    .ok());
    return rows;
  };
  ASSERT_GE(consent_rows(), 2);  // current state and one change
  auto erased = access().RequestErasure(Ctx(eraser), "acme", "carol-9", absl::ZeroDuration());
  ASSERT_TRUE(erased.ok()) << erased.status();
  ASSERT_EQ(erased->state(), "done");
  // Calls naming the erased subject after its erasure are logged as "erased".
  auto after = access().Detokenize(Ctx(support_, "support"), "acme", {t1}, RevealLevel::kMasked);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(IsGone((*after)[0].status));

  // The audit key went in the shred's batch; no query links the subject.
  EXPECT_TRUE(absl::IsNotFound(
      memory_->Get(storage::Table::kSubjectKeys, SubjectKey("acme", AuditKeyHolder("carol-9")))
          .status()));
  EXPECT_TRUE(Query("carol-9").empty());
  EXPECT_EQ(consent_rows(), 0);
  EXPECT_EQ(AuditTableBytes().find("carol-9"), std::string::npos);
  bool erased_ref = false;
  for (const records::AuditEntry& e : AllEntries()) erased_ref |= e.subject_ref() == "erased";
  EXPECT_TRUE(erased_ref);
  // The living subject's report is untouched, and the chain verifies.
  EXPECT_EQ(Query("dave-4").size(), 3u);
  auto verified = access().VerifyAudit(root_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_F(SubjectPseudonymsTest, AShredEpochRewrapsAuditKeysSoReportsKeepWorking) {
  Tokenize("erin-5");
  const size_t before = Query("erin-5").size();
  ASSERT_TRUE(Parts(*vault_).lifecycle().CloseEpoch("acme").ok());
  Parts(*vault_).subject_keys().EvictAll();
  // Still resolvable (the key moved to the new KEK version), one more entry.
  EXPECT_EQ(Query("erin-5").size(), before + 1);
  absl::StatusOr<std::string> stored =
      memory_->Get(storage::Table::kSubjectKeys, SubjectKey("acme", AuditKeyHolder("erin-5")));
  ASSERT_TRUE(stored.ok());
  records::WrappedDek record;
  ASSERT_TRUE(record.ParseFromString(*stored));
  auto active = Parts(*vault_).keys().GetActiveKek("acme");
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(record.kek_version(), active->version);
}

TEST_F(SubjectPseudonymsTest, ASubjectNamedUnderATenantWithoutKeysIsNotKept) {
  // A refused call on an unknown tenant names a subject: the entry keeps
  // neither the id nor a link to it.
  EXPECT_FALSE(
      access()
          .ReadSubject(Ctx(support_, "support"), "nosuch", "frank-6", {}, RevealLevel::kMasked)
          .ok());
  EXPECT_EQ(AuditTableBytes().find("frank-6"), std::string::npos);
  EXPECT_EQ(AllEntries().back().subject_ref(), "unlinked");
}

}  // namespace
}  // namespace vault
