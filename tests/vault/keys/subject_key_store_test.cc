// Tests for SubjectKeyStore: a subject's data key is created once (and exists
// only once its batch is written), is wrapped (never stored in the clear),
// is cached until evicted, sealed or shredded, and is GONE for good after
// the subject's erasure.
#include "vault/keys/subject_key_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;
using testing::IsOk;
using testing::StatusIs;

class SubjectKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "globex"},
                                     std::make_unique<storage::MemoryKvStore>());
  }
  SubjectKeyStore& store() { return Parts(*vault_).subject_keys(); }
  // Creates the subject's key and writes it, as a field write would.
  DataKeyHandle Create(std::string_view tenant, std::string_view subject) {
    auto lock = locks_.Lock(tenant, subject);
    storage::WriteBatch batch;
    absl::StatusOr<DataKeyHandle> key = store().GetOrCreate(tenant, subject, &batch);
    EXPECT_THAT(key, IsOk());
    EXPECT_THAT(Parts(*vault_).kv().Write(batch), IsOk());
    return key.ok() ? *key : nullptr;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
  SubjectLocks locks_;
};

TEST_F(SubjectKeyStoreTest, KeyExistsOnlyOnceItsBatchIsWritten) {
  EXPECT_THAT(store().Get("acme", "s-1"), StatusIs(absl::StatusCode::kNotFound));
  storage::WriteBatch batch;
  absl::StatusOr<DataKeyHandle> made = store().GetOrCreate("acme", "s-1", &batch);
  ASSERT_THAT(made, IsOk());
  EXPECT_EQ((*made)->key.size(), KeyHierarchy::kKeySize);
  EXPECT_EQ((*made)->dek_id.size(), 16u);
  EXPECT_EQ((*made)->kek_version, 1u);
  // Not written yet: still unknown, and not cached.
  EXPECT_THAT(store().Get("acme", "s-1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store().cached(), 0u);
  ASSERT_THAT(Parts(*vault_).kv().Write(batch), IsOk());
  absl::StatusOr<DataKeyHandle> got = store().Get("acme", "s-1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ((*got)->dek_id, (*made)->dek_id);
  EXPECT_TRUE((*got)->key.Equals((*made)->key));
}

TEST_F(SubjectKeyStoreTest, GetOrCreateReturnsTheExistingKey) {
  DataKeyHandle first = Create("acme", "s-1");
  ASSERT_NE(first, nullptr);
  storage::WriteBatch batch;
  absl::StatusOr<DataKeyHandle> again = store().GetOrCreate("acme", "s-1", &batch);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ((*again)->dek_id, first->dek_id);
  EXPECT_TRUE((*again)->key.Equals(first->key));
  EXPECT_EQ(batch.ops().size(), 0u);  // nothing new to write
}

TEST_F(SubjectKeyStoreTest, SubjectsAndTenantsHaveDistinctKeys) {
  DataKeyHandle a = Create("acme", "s-1");
  DataKeyHandle b = Create("acme", "s-2");
  DataKeyHandle c = Create("globex", "s-1");
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(a->key.Equals(b->key));
  EXPECT_FALSE(a->key.Equals(c->key));
  EXPECT_NE(a->dek_id, b->dek_id);
}

TEST_F(SubjectKeyStoreTest, StoredKeyIsWrappedNotInTheClear) {
  DataKeyHandle key = Create("acme", "s-1");
  ASSERT_NE(key, nullptr);
  absl::StatusOr<std::string> stored =
      Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", "s-1"));
  ASSERT_THAT(stored, IsOk());
  records::WrappedDek record;
  ASSERT_TRUE(record.ParseFromString(*stored));
  EXPECT_EQ(record.dek_id(), key->dek_id);
  EXPECT_EQ(record.kek_version(), 1u);
  EXPECT_EQ(record.created_at_unix_ms(), absl::ToUnixMillis(clock_.Now()));
  absl::Span<const uint8_t> raw = crypto::RevealSecret(key->key);
  EXPECT_EQ(stored->find(std::string(raw.begin(), raw.end())), std::string::npos);
}

TEST_F(SubjectKeyStoreTest, CacheHoldsKeysUntilEvictedOrSealed) {
  Create("acme", "s-1");
  Create("acme", "s-2");
  EXPECT_EQ(store().cached(), 0u);  // created keys are cached only once read
  ASSERT_THAT(store().Get("acme", "s-1"), IsOk());
  ASSERT_THAT(store().Get("acme", "s-2"), IsOk());
  EXPECT_EQ(store().cached(), 2u);
  ASSERT_THAT(store().Get("acme", "s-1"), IsOk());  // a hit adds nothing
  EXPECT_EQ(store().cached(), 2u);
  store().Evict("acme", "s-1");
  EXPECT_EQ(store().cached(), 1u);
  store().EvictAll();
  EXPECT_EQ(store().cached(), 0u);
  ASSERT_THAT(store().Get("acme", "s-1"), IsOk());
  Parts(*vault_).keys().Seal();
  EXPECT_EQ(store().cached(), 0u);
  EXPECT_TRUE(IsSealed(store().Get("acme", "s-1").status()));
  ASSERT_THAT(Parts(*vault_).keys().UnsealWithKeyFile(vault_->DevKeyFilePath()), IsOk());
  EXPECT_THAT(store().Get("acme", "s-1"), IsOk());
}

TEST_F(SubjectKeyStoreTest, TamperedWrappedKeyIsDataLoss) {
  Create("acme", "s-1");
  std::string stored = *Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", "s-1"));
  records::WrappedDek record;
  ASSERT_TRUE(record.ParseFromString(stored));
  std::string ciphertext = record.ciphertext();
  ciphertext[ciphertext.size() / 2] ^= 0x01;
  record.set_ciphertext(ciphertext);
  storage::WriteBatch batch;
  batch.Put(Table::kSubjectKeys, SubjectKey("acme", "s-1"), record.SerializeAsString());
  ASSERT_THAT(Parts(*vault_).kv().Write(batch), IsOk());
  EXPECT_THAT(store().Get("acme", "s-1"), StatusIs(absl::StatusCode::kDataLoss));
  // GetOrCreate must not replace a key it cannot open.
  storage::WriteBatch create;
  EXPECT_THAT(store().GetOrCreate("acme", "s-1", &create), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(create.ops().size(), 0u);
}

TEST_F(SubjectKeyStoreTest, ShreddingDestroysTheKeyForGood) {
  ASSERT_THAT(
      Parts(*vault_).subjects().PutFields("acme", "s-1", {{"note", {"generic", "owl", ""}}}),
      IsOk());
  ASSERT_THAT(store().Get("acme", "s-1"), IsOk());
  ASSERT_EQ(store().cached(), 1u);
  absl::StatusOr<records::ErasureRecord> erased =
      Parts(*vault_).lifecycle().RequestErasure("acme", "s-1", absl::ZeroDuration(), "p_test", {});
  ASSERT_THAT(erased, IsOk());
  ASSERT_EQ(erased->state(), "done");
  EXPECT_EQ(store().cached(), 0u);  // left the cache at once
  EXPECT_THAT(Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", "s-1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(IsGone(store().Get("acme", "s-1").status()));
  // Never a new key for an erased subject.
  storage::WriteBatch batch;
  EXPECT_TRUE(IsGone(store().GetOrCreate("acme", "s-1", &batch).status()));
  EXPECT_EQ(batch.ops().size(), 0u);
  // Other subjects keep theirs.
  EXPECT_NE(Create("acme", "s-2"), nullptr);
}

}  // namespace
}  // namespace vault
