// Tests for the subject store: put/read/delete at every reveal level, batch
// validation, cross-subject and cross-tenant isolation of ciphertext rows,
// and storage faults that must leave no half-written change.
#include "vault/subjects/subject_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_kv_store.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::MemoryKvStore;
using storage::Table;

std::map<std::string, FieldInput> Profile() {
  return {{"name", {"person_name", "张三", ""}},
          {"id_card", {"cn_resident_id", "11010519491231002X", ""}},
          {"mobile", {"phone", "+86 138 0013 8000", ""}},
          {"salary_card", {"bank_card", "6222 0202 0011 2233 446", "financial_5y"}}};
}

class SubjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = std::make_unique<MemoryKvStore>();
    memory_ = memory.get();
    auto faulty = std::make_unique<testing::FaultInjectingKvStore>(memory_);
    faulty_ = faulty.get();
    owned_memory_ = std::move(memory);
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "globex"}, std::move(faulty));
  }
  SubjectStore& subjects() { return Parts(*vault_).subjects(); }
  absl::Status Put(std::string_view tenant, std::string_view subject,
                   const std::map<std::string, FieldInput>& fields) {
    return subjects().PutFields(tenant, subject, fields).status();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<MemoryKvStore> owned_memory_;
  MemoryKvStore* memory_ = nullptr;
  testing::FaultInjectingKvStore* faulty_ = nullptr;
  std::unique_ptr<Vault> vault_;
};

TEST_F(SubjectStoreTest, PutThenReadPlainReturnsNormalisedValues) {
  ASSERT_TRUE(Put("acme", "u-123", Profile()).ok());
  auto fields = subjects().ReadFields("acme", "u-123", {}, RevealLevel::kPlain);
  ASSERT_TRUE(fields.ok()) << fields.status();
  ASSERT_EQ(fields->size(), 4u);
  EXPECT_EQ(fields->at("name").value, "张三");
  EXPECT_EQ(fields->at("mobile").value, "+8613800138000");
  EXPECT_EQ(fields->at("mobile").type, DataType::kPhone);
  EXPECT_EQ(fields->at("salary_card").value, "6222020200112233446");
  EXPECT_EQ(fields->at("salary_card").retention, "financial_5y");
}

TEST_F(SubjectStoreTest, MaskedAndHashedReads) {
  ASSERT_TRUE(Put("acme", "u-123", Profile()).ok());
  auto masked =
      *subjects().ReadFields("acme", "u-123", {"mobile", "id_card"}, RevealLevel::kMasked);
  EXPECT_EQ(masked.at("mobile").value, "+86 138****8000");
  EXPECT_EQ(masked.at("id_card").value, "110105********002X");
  EXPECT_EQ(masked.size(), 2u);
  auto hashed = *subjects().ReadFields("acme", "u-123", {"mobile"}, RevealLevel::kHashed);
  EXPECT_EQ(hashed.at("mobile").value.size(), 64u);
  EXPECT_EQ(hashed.at("mobile").reveal, RevealLevel::kHashed);
  // The hash is keyed per tenant: the same value in another tenant differs.
  ASSERT_TRUE(Put("globex", "u-123", Profile()).ok());
  auto other = *subjects().ReadFields("globex", "u-123", {"mobile"}, RevealLevel::kHashed);
  EXPECT_NE(other.at("mobile").value, hashed.at("mobile").value);
}

TEST_F(SubjectStoreTest, ReplacingAFieldKeepsTheOthers) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  ASSERT_TRUE(Put("acme", "u-1", {{"mobile", {"phone", "+14155552671", ""}}}).ok());
  auto fields = *subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain);
  EXPECT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields.at("mobile").value, "+14155552671");
  EXPECT_EQ(fields.at("name").value, "张三");
}

TEST_F(SubjectStoreTest, AbsentNamesAreLeftOut) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  auto fields = *subjects().ReadFields("acme", "u-1", {"mobile", "email"}, RevealLevel::kMasked);
  EXPECT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields.count("email"), 0u);
}

TEST_F(SubjectStoreTest, InvalidFieldRejectsWholeBatchNamingTheField) {
  auto before = memory_->Dump();
  auto fields = Profile();
  fields["salary_card"].value = "6222 0202 0011 2233 447";  // fails Luhn
  absl::Status s = Put("acme", "u-9", fields);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("salary_card"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("6222"), absl::string_view::npos);  // no value in errors
  EXPECT_EQ(memory_->Dump(), before);
  EXPECT_EQ(faulty_->writes(), 0);
}

TEST_F(SubjectStoreTest, BadNamesTypesAndRetentionAreInvalid) {
  EXPECT_TRUE(
      absl::IsInvalidArgument(Put("acme", "u-1", {{"Bad-Name", {"phone", "+8613800138000", ""}}})));
  EXPECT_TRUE(absl::IsInvalidArgument(Put("acme", "u-1", {{"x", {"shoe_size", "42", ""}}})));
  EXPECT_TRUE(absl::IsInvalidArgument(Put("acme", "u-1", {{"x", {"generic", "v", "Five Years"}}})));
  EXPECT_TRUE(absl::IsInvalidArgument(Put("acme", "u-1", {})));
  EXPECT_TRUE(absl::IsInvalidArgument(Put("acme", "a@b.c", {{"x", {"generic", "v", ""}}})));
  EXPECT_EQ(faulty_->writes(), 0);
}

TEST_F(SubjectStoreTest, UnknownTenantSubjectAndFieldAreNotFound) {
  EXPECT_TRUE(absl::IsNotFound(Put("nobody", "u-1", Profile())));
  EXPECT_TRUE(
      absl::IsNotFound(subjects().ReadFields("acme", "u-404", {}, RevealLevel::kMasked).status()));
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  EXPECT_TRUE(absl::IsNotFound(subjects().DeleteField("acme", "u-1", "email")));
}

TEST_F(SubjectStoreTest, DeleteFieldRemovesOnlyThatField) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  ASSERT_TRUE(subjects().DeleteField("acme", "u-1", "mobile").ok());
  auto fields = *subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain);
  EXPECT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields.count("mobile"), 0u);
}

TEST_F(SubjectStoreTest, OtherTenantCannotReadSameSubjectId) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  EXPECT_TRUE(
      absl::IsNotFound(subjects().ReadFields("globex", "u-1", {}, RevealLevel::kPlain).status()));
}

TEST_F(SubjectStoreTest, RowCopiedToAnotherSubjectFailsWithDataLoss) {
  ASSERT_TRUE(Put("acme", "alice", Profile()).ok());
  ASSERT_TRUE(Put("acme", "bob", {{"mobile", {"phone", "+14155552671", ""}}}).ok());
  // The attacker with write access to storage copies Alice's row onto Bob's.
  std::string alice_row = *memory_->Get(Table::kFields, FieldKey("acme", "alice", "mobile"));
  storage::WriteBatch b;
  b.Put(Table::kFields, FieldKey("acme", "bob", "mobile"), alice_row);
  ASSERT_TRUE(memory_->Write(b).ok());
  auto read = subjects().ReadFields("acme", "bob", {"mobile"}, RevealLevel::kPlain);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  EXPECT_EQ(read.status().message().find("8613800138000"), absl::string_view::npos);
}

TEST_F(SubjectStoreTest, RowCopiedToAnotherFieldOrTenantFailsWithDataLoss) {
  ASSERT_TRUE(Put("acme", "alice", Profile()).ok());
  ASSERT_TRUE(Put("globex", "alice", Profile()).ok());
  std::string row = *memory_->Get(Table::kFields, FieldKey("acme", "alice", "mobile"));
  storage::WriteBatch b;
  b.Put(Table::kFields, FieldKey("acme", "alice", "name"), row);      // other field
  b.Put(Table::kFields, FieldKey("globex", "alice", "mobile"), row);  // other tenant
  ASSERT_TRUE(memory_->Write(b).ok());
  EXPECT_TRUE(absl::IsDataLoss(
      subjects().ReadFields("acme", "alice", {"name"}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      subjects().ReadFields("globex", "alice", {"mobile"}, RevealLevel::kPlain).status()));
}

TEST_F(SubjectStoreTest, WholeRecordCopiedToAnotherSubjectDoesNotDecrypt) {
  ASSERT_TRUE(Put("acme", "alice", Profile()).ok());
  ASSERT_TRUE(Put("acme", "bob", {{"note", {"generic", "bob's", ""}}}).ok());
  // Copy Alice's wrapped key and every field row onto Bob: without the
  // subject bound into the associated data, Bob would now read Alice's data.
  storage::WriteBatch b;
  b.Put(Table::kSubjectKeys, SubjectKey("acme", "bob"),
        *memory_->Get(Table::kSubjectKeys, SubjectKey("acme", "alice")));
  for (const auto& [field, input] : Profile()) {
    b.Put(Table::kFields, FieldKey("acme", "bob", field),
          *memory_->Get(Table::kFields, FieldKey("acme", "alice", field)));
  }
  ASSERT_TRUE(memory_->Write(b).ok());
  Parts(*vault_).subject_keys().EvictAll();
  auto read = subjects().ReadFields("acme", "bob", {"mobile"}, RevealLevel::kPlain);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
}

TEST_F(SubjectStoreTest, KeyWhoseTenantKeyVersionIsMissingIsNeverReplaced) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  // Rewrite the DEK record as if wrapped under a KEK version the keyring lacks
  // (a keyring rolled back by a restore, say).
  std::string raw = *memory_->Get(Table::kSubjectKeys, SubjectKey("acme", "u-1"));
  records::WrappedDek dek;
  ASSERT_TRUE(dek.ParseFromString(raw));
  dek.set_kek_version(99);
  storage::WriteBatch b;
  b.Put(Table::kSubjectKeys, SubjectKey("acme", "u-1"), dek.SerializeAsString());
  ASSERT_TRUE(memory_->Write(b).ok());
  Parts(*vault_).subject_keys().EvictAll();
  EXPECT_TRUE(absl::IsDataLoss(Put("acme", "u-1", {{"note", {"generic", "x", ""}}})));
  EXPECT_EQ(*memory_->Get(Table::kSubjectKeys, SubjectKey("acme", "u-1")),
            dek.SerializeAsString());  // untouched, not overwritten by a new key
}

TEST_F(SubjectStoreTest, FailedWriteOfNewSubjectLeavesNothingAndNoStaleKey) {
  auto before = memory_->Dump();
  faulty_->FailWrites(1);
  EXPECT_FALSE(Put("acme", "u-new", Profile()).ok());
  EXPECT_EQ(memory_->Dump(), before);  // neither the DEK nor any field
  EXPECT_TRUE(
      absl::IsNotFound(subjects().ReadFields("acme", "u-new", {}, RevealLevel::kPlain).status()));
  // A retry works and reads back: no key was cached for a batch that failed.
  ASSERT_TRUE(Put("acme", "u-new", Profile()).ok());
  Parts(*vault_).subject_keys().EvictAll();
  EXPECT_EQ(subjects().ReadFields("acme", "u-new", {}, RevealLevel::kPlain)->size(), 4u);
}

TEST_F(SubjectStoreTest, FailedWriteToExistingSubjectKeepsOldValues) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  auto before = memory_->Dump();
  faulty_->FailWrites(1);
  EXPECT_FALSE(
      Put("acme", "u-1",
          {{"mobile", {"phone", "+14155552671", ""}}, {"name", {"person_name", "李四", ""}}})
          .ok());
  EXPECT_EQ(memory_->Dump(), before);
  auto fields = *subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain);
  EXPECT_EQ(fields.at("mobile").value, "+8613800138000");
  EXPECT_EQ(fields.at("name").value, "张三");
}

TEST_F(SubjectStoreTest, ReadFaultReturnsNoData) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  faulty_->FailReads(true);
  Parts(*vault_).subject_keys().EvictAll();
  auto read = subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain);
  EXPECT_TRUE(absl::IsUnavailable(read.status()));
}

TEST_F(SubjectStoreTest, SealedVaultServesNothing) {
  ASSERT_TRUE(Put("acme", "u-1", Profile()).ok());
  Parts(*vault_).keys().Seal();
  EXPECT_EQ(Parts(*vault_).subject_keys().cached(), 0u);
  EXPECT_TRUE(IsSealed(subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(IsSealed(Put("acme", "u-1", Profile())));
}

TEST_F(SubjectStoreTest, SearchFindsExactlyTheHoldersAndFollowsChanges) {
  ASSERT_TRUE(Put("acme", "alice", {{"mobile", {"phone", "+86 138 0013 8000", ""}}}).ok());
  ASSERT_TRUE(Put("acme", "bob", {{"work", {"phone", "+8613800138000", ""}}}).ok());
  ASSERT_TRUE(Put("acme", "carol", {{"mobile", {"phone", "+14155552671", ""}}}).ok());
  ASSERT_TRUE(Put("globex", "dave", {{"mobile", {"phone", "+8613800138000", ""}}}).ok());
  auto found = subjects().Search("acme", "phone", "+86-138-0013-8000");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(subjects().Search("acme", "generic", "+8613800138000")->empty());  // typed
  // Alice's number changes: she is no longer found under the old one.
  ASSERT_TRUE(Put("acme", "alice", {{"mobile", {"phone", "+14155552671", ""}}}).ok());
  EXPECT_EQ(*subjects().Search("acme", "phone", "+8613800138000"), std::vector<std::string>{"bob"});
  EXPECT_EQ(*subjects().Search("acme", "phone", "+14155552671"),
            (std::vector<std::string>{"alice", "carol"}));
  // Bob's field changes type, then Carol's field is deleted.
  ASSERT_TRUE(Put("acme", "bob", {{"work", {"generic", "+8613800138000", ""}}}).ok());
  EXPECT_TRUE(subjects().Search("acme", "phone", "+8613800138000")->empty());
  EXPECT_EQ(*subjects().Search("acme", "generic", "+8613800138000"),
            std::vector<std::string>{"bob"});
  ASSERT_TRUE(subjects().DeleteField("acme", "carol", "mobile").ok());
  EXPECT_EQ(*subjects().Search("acme", "phone", "+14155552671"), std::vector<std::string>{"alice"});
  // The other tenant's index is its own.
  EXPECT_EQ(*subjects().Search("globex", "phone", "+8613800138000"),
            std::vector<std::string>{"dave"});
  EXPECT_TRUE(absl::IsInvalidArgument(subjects().Search("acme", "phone", "12345").status()));
}

TEST_F(SubjectStoreTest, ConcurrentRewritesLeaveOneIndexEntryPerField) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([this, i] {
      for (int k = 0; k < 20; ++k) {
        std::string value = "+8613800" + std::to_string(100000 + i * 100 + k);
        ASSERT_TRUE(Put("acme", "u-1", {{"mobile", {"phone", value, ""}}}).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(memory_->Dump()[static_cast<size_t>(Table::kBlindIndex)].size(), 1u);
  std::string current =
      subjects().ReadFields("acme", "u-1", {}, RevealLevel::kPlain)->at("mobile").value;
  EXPECT_EQ(*subjects().Search("acme", "phone", current), std::vector<std::string>{"u-1"});
}

TEST_F(SubjectStoreTest, ConcurrentWritersToANewSubjectShareOneKey) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i] {
      EXPECT_TRUE(
          subjects()
              .PutFields("acme", "u-race",
                         {{"f" + std::to_string(i), {"generic", "v" + std::to_string(i), ""}}})
              .ok());
    });
  }
  for (auto& t : threads) t.join();
  Parts(*vault_).subject_keys().EvictAll();
  auto fields = subjects().ReadFields("acme", "u-race", {}, RevealLevel::kPlain);
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace vault
