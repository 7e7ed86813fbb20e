// Tests for the consent store: the consent rule (CheckConsent), records
// sealed under the subject's DEK (no plaintext, bound to their row), the
// history, the cache (replaced by a change, unusable after an erasure).
#include "vault/subjects/consent_store.h"

#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::MemoryKvStore;
using storage::Table;

Consent Withdrawn(std::vector<std::string> purposes) {
  Consent c;
  c.withdrawn_purposes = std::move(purposes);
  return c;
}

Consent Minor(bool guardian_consent) {
  Consent c;
  c.minor = true;
  c.guardian_consent = guardian_consent;
  return c;
}

TEST(CheckConsentTest, DefaultConsentRefusesNothing) {
  for (std::string_view purpose : {"", "support", "marketing", "legal"}) {
    EXPECT_EQ(CheckConsent(Consent{}, purpose), ConsentRefusal::kNone) << purpose;
  }
}

TEST(CheckConsentTest, WithdrawnPurposeIsRefusedOthersAreNot) {
  const Consent c = Withdrawn({"analytics", "marketing"});
  EXPECT_EQ(CheckConsent(c, "marketing"), ConsentRefusal::kWithdrawn);
  EXPECT_EQ(CheckConsent(c, "analytics"), ConsentRefusal::kWithdrawn);
  EXPECT_EQ(CheckConsent(c, "support"), ConsentRefusal::kNone);
  EXPECT_EQ(CheckConsent(c, "legal"), ConsentRefusal::kNone);
}

TEST(CheckConsentTest, NoStatedPurposeIsRefusedOnceAnyPurposeIsWithdrawn) {
  EXPECT_EQ(CheckConsent(Withdrawn({"marketing"}), ""), ConsentRefusal::kWithdrawn);
}

TEST(CheckConsentTest, MinorWithoutGuardianConsentOnlyForLegalAndSubjectRequest) {
  const Consent c = Minor(false);
  EXPECT_EQ(CheckConsent(c, "legal"), ConsentRefusal::kNone);
  EXPECT_EQ(CheckConsent(c, "subject_request"), ConsentRefusal::kNone);
  EXPECT_EQ(CheckConsent(c, "support"), ConsentRefusal::kMinor);
  EXPECT_EQ(CheckConsent(c, ""), ConsentRefusal::kMinor);
  EXPECT_EQ(CheckConsent(Minor(true), "support"), ConsentRefusal::kNone);
}

TEST(CheckConsentTest, RefusalReasonsAreTheAuditedWords) {
  EXPECT_EQ(ConsentRefusalReason(ConsentRefusal::kWithdrawn), "consent_withdrawn");
  EXPECT_EQ(ConsentRefusalReason(ConsentRefusal::kMinor), "minor_without_guardian_consent");
  EXPECT_EQ(ConsentRefusalReason(ConsentRefusal::kNone), "");
}

class ConsentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = std::make_unique<MemoryKvStore>();
    memory_ = memory.get();
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme"}, std::move(memory));
    ASSERT_TRUE(Parts(*vault_)
                    .subjects()
                    .PutFields("acme", "u-1", {{"mobile", {"phone", "+8613800138000", ""}}})
                    .ok());
  }
  ConsentStore& consent() { return Parts(*vault_).consent(); }
  // Every ledger row of the subject's consent.
  std::vector<std::pair<std::string, std::string>> ConsentRows() {
    std::vector<std::pair<std::string, std::string>> rows;
    EXPECT_TRUE(memory_
                    ->ScanPrefix(Table::kLedger, std::string("consent\0acme\0u-1\0", 17),
                                 [&](std::string_view k, std::string_view v) {
                                   rows.emplace_back(std::string(k), std::string(v));
                                   return true;
                                 })
                    .ok());
    return rows;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  MemoryKvStore* memory_ = nullptr;  // owned by the vault
  std::unique_ptr<Vault> vault_;
};

TEST_F(ConsentStoreTest, UnrecordedConsentIsTheDefault) {
  absl::StatusOr<Consent> c = consent().Get("acme", "u-1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->withdrawn_purposes.empty());
  EXPECT_FALSE(c->minor);
  EXPECT_EQ(c->updated_at_unix_ms, 0);
}

TEST_F(ConsentStoreTest, UnknownSubjectIsNotFound) {
  EXPECT_TRUE(IsMissing(consent().Get("acme", "nobody").status()));
}

TEST_F(ConsentStoreTest, PutIsReadBackSortedWithTimeAndPrincipal) {
  ASSERT_TRUE(
      consent()
          .Put("acme", "u-1", Withdrawn({"marketing", "analytics", "marketing"}), "p1", nullptr)
          .ok());
  absl::StatusOr<Consent> c = consent().Get("acme", "u-1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->withdrawn_purposes, (std::vector<std::string>{"analytics", "marketing"}));
  EXPECT_EQ(c->updated_at_unix_ms, absl::ToUnixMillis(clock_.Now()));
  EXPECT_EQ(c->principal, "p1");
}

TEST_F(ConsentStoreTest, ChangeReplacesTheCachedConsent) {
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(false), "p1", nullptr).ok());
  ASSERT_TRUE(consent().Get("acme", "u-1")->minor);  // now cached
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(true), "p1", nullptr).ok());
  EXPECT_TRUE(consent().Get("acme", "u-1")->guardian_consent);
}

TEST_F(ConsentStoreTest, HistoryKeepsEveryChangeOldestFirst) {
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(false), "p1", nullptr).ok());
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(true), "p2", nullptr).ok());
  absl::StatusOr<std::vector<Consent>> history = consent().History("acme", "u-1");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_FALSE((*history)[0].guardian_consent);
  EXPECT_EQ((*history)[0].principal, "p1");
  EXPECT_TRUE((*history)[1].guardian_consent);
  EXPECT_EQ((*history)[1].principal, "p2");
  EXPECT_EQ((*history)[1].updated_at_unix_ms - (*history)[0].updated_at_unix_ms, 5000);
}

TEST_F(ConsentStoreTest, StoredRowsHoldNoPlaintext) {
  ASSERT_TRUE(consent().Put("acme", "u-1", Withdrawn({"zebra_newsletter"}), "p1", nullptr).ok());
  std::vector<std::pair<std::string, std::string>> rows = ConsentRows();
  ASSERT_EQ(rows.size(), 2u);  // current + one change
  for (const auto& [key, value] : rows) {
    EXPECT_EQ(value.find("zebra_newsletter"), std::string::npos);
  }
}

TEST_F(ConsentStoreTest, RowCopiedToAnotherSubjectFailsToOpen) {
  ASSERT_TRUE(Parts(*vault_)
                  .subjects()
                  .PutFields("acme", "u-2", {{"mobile", {"phone", "+8613900139000", ""}}})
                  .ok());
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(false), "p1", nullptr).ok());
  storage::WriteBatch copy;
  copy.Put(Table::kLedger, std::string("consent\0acme\0u-2\0c", 18), ConsentRows()[0].second);
  ASSERT_TRUE(memory_->Write(copy).ok());
  EXPECT_EQ(ErrorKindOf(consent().Get("acme", "u-2").status()), ErrorKind::kDataLoss);
}

TEST_F(ConsentStoreTest, ErasedSubjectsConsentIsGoneEvenWhenCached) {
  ASSERT_TRUE(consent().Put("acme", "u-1", Minor(false), "p1", nullptr).ok());
  ASSERT_TRUE(consent().Get("acme", "u-1").ok());  // cached
  ASSERT_EQ(consent().cached(), 1u);
  ASSERT_TRUE(Parts(*vault_)
                  .lifecycle()
                  .RequestErasure("acme", "u-1", absl::ZeroDuration(), "p1", {})
                  .ok());
  EXPECT_TRUE(IsGone(consent().Get("acme", "u-1").status()));
  EXPECT_EQ(consent().cached(), 0u);
  EXPECT_TRUE(IsGone(consent().History("acme", "u-1").status()));
  EXPECT_TRUE(IsGone(consent().Put("acme", "u-1", Consent{}, "p1", nullptr).status()));
}

TEST_F(ConsentStoreTest, SealEmptiesTheCache) {
  ASSERT_TRUE(consent().Get("acme", "u-1").ok());
  ASSERT_EQ(consent().cached(), 1u);
  Parts(*vault_).keys().Seal();
  EXPECT_EQ(consent().cached(), 0u);
}

TEST_F(ConsentStoreTest, ConsentMayComeBeforeAnyData) {
  ASSERT_TRUE(consent().Put("acme", "new-1", Minor(false), "p1", nullptr).ok());
  EXPECT_TRUE(consent().Get("acme", "new-1")->minor);
}

}  // namespace
}  // namespace vault
