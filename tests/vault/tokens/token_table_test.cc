// Tests for TokenTable, the one owner of the tokens table: what a staged
// record holds (and that its seal covers the claims), tombstones, the
// tombstone-preserving delete, corrupt rows and a tenant's erasure.
#include "vault/tokens/token_table.h"

#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "vault/model/record_keys.h"
#include "vault/storage/memory_kv_store.h"
#include "vault/tokens/token_codec.h"

namespace vault {
namespace {

using storage::Table;

class TokenTableTest : public ::testing::Test {
 protected:
  TokenClaims Claims(std::string_view tenant, std::string_view fp) {
    TokenClaims c;
    c.tenant = tenant;
    c.fingerprint = fp;
    c.subject = "u-1";
    c.type = "phone";
    c.format = "deterministic";
    c.expires_at_unix_ms = 5000;
    return c;
  }
  void Put(std::string_view tenant, std::string_view fp, std::string_view value) {
    storage::WriteBatch b;
    TokenClaims c = Claims(tenant, fp);
    ASSERT_TRUE(
        TokenTable::StagePut(c, TokenSealKey{key_, "dek-1"}, value, 1000, random_, &b).ok());
    ASSERT_TRUE(kv_.Write(b).ok());
  }

  crypto::SystemRandom random_;
  crypto::SecretBytes key_ = *crypto::SystemRandom::Instance().Secret(32);
  storage::MemoryKvStore kv_;
  TokenTable table_{&kv_};
};

TEST_F(TokenTableTest, StagedRecordHoldsTheClaimsAndItsSealCoversThem) {
  Put("t1", "fp-1", "+8613800138000");
  absl::StatusOr<records::TokenRecord> r = table_.Get("t1", "fp-1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type(), "phone");
  EXPECT_EQ(r->format(), "deterministic");
  EXPECT_EQ(r->subject(), "u-1");
  EXPECT_EQ(r->dek_id(), "dek-1");
  EXPECT_EQ(r->field(), "");
  EXPECT_EQ(r->created_at_unix_ms(), 1000);
  EXPECT_EQ(r->expires_at_unix_ms(), 5000);
  EXPECT_FALSE(r->revoked());
  absl::StatusOr<std::string> plain = crypto::XChaCha20Poly1305::Decrypt(
      key_, r->ciphertext(),
      TokenRecordAd("t1", "fp-1", "u-1", "phone", "dek-1", "deterministic", "", 5000));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "+8613800138000");
  // Another claim (here the expiry) does not authenticate.
  EXPECT_FALSE(crypto::XChaCha20Poly1305::Decrypt(
                   key_, r->ciphertext(),
                   TokenRecordAd("t1", "fp-1", "u-1", "phone", "dek-1", "deterministic", "", 0))
                   .ok());
  // Stored under TokenKey(tenant, fingerprint) and nowhere else.
  EXPECT_TRUE(kv_.Get(Table::kTokens, TokenKey("t1", "fp-1")).ok());
  EXPECT_TRUE(absl::IsNotFound(table_.Get("t2", "fp-1").status()));
}

TEST_F(TokenTableTest, TombstoneKeepsTheClaimsButNoKeyOrCiphertext) {
  Put("t1", "fp-1", "v");
  storage::WriteBatch b;
  TokenTable::StageTombstone("t1", "fp-1", *table_.Get("t1", "fp-1"), 9000, &b);
  ASSERT_TRUE(kv_.Write(b).ok());
  records::TokenRecord r = *table_.Get("t1", "fp-1");
  EXPECT_TRUE(r.revoked());
  EXPECT_EQ(r.type(), "phone");
  EXPECT_EQ(r.subject(), "u-1");
  EXPECT_EQ(r.created_at_unix_ms(), 9000);
  EXPECT_TRUE(r.dek_id().empty());
  EXPECT_TRUE(r.ciphertext().empty());
  EXPECT_EQ(r.expires_at_unix_ms(), 0);
  EXPECT_EQ(*table_.Revoked("t1", {"fp-1", "absent"}), (std::vector<bool>{true, false}));
}

TEST_F(TokenTableTest, DeleteUnlessRevokedKeepsTombstonesOnly) {
  Put("t1", "live", "v");
  Put("t1", "dead", "v");
  storage::WriteBatch revoke;
  TokenTable::StageTombstone("t1", "dead", *table_.Get("t1", "dead"), 1, &revoke);
  ASSERT_TRUE(kv_.Write(revoke).ok());
  storage::WriteBatch b;
  ASSERT_TRUE(table_.StageDeleteUnlessRevoked("t1", "live", &b).ok());
  ASSERT_TRUE(table_.StageDeleteUnlessRevoked("t1", "dead", &b).ok());
  ASSERT_TRUE(kv_.Write(b).ok());
  EXPECT_TRUE(absl::IsNotFound(table_.Get("t1", "live").status()));
  EXPECT_TRUE(table_.Get("t1", "dead")->revoked());
}

TEST_F(TokenTableTest, CorruptRowsAreDataLossButStillTaken) {
  storage::WriteBatch b;
  b.Put(Table::kTokens, TokenKey("t1", "bad"), "\xff\xff\xff");
  ASSERT_TRUE(kv_.Write(b).ok());
  EXPECT_EQ(table_.Get("t1", "bad").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(table_.Revoked("t1", {"bad"}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(*table_.Contains("t1", "bad"));
  EXPECT_FALSE(*table_.Contains("t1", "other"));
  std::vector<absl::StatusOr<std::string>> rows = table_.ReadMany("t1", {"bad", "other"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].ok());
  EXPECT_TRUE(absl::IsNotFound(rows[1].status()));
}

TEST_F(TokenTableTest, DeleteTenantLeavesOtherTenants) {
  Put("t1", "a", "v");
  Put("t1", "b", "v");
  Put("t10", "a", "v");  // a tenant whose id extends the other's
  ASSERT_TRUE(table_.DeleteTenant("t1").ok());
  ASSERT_TRUE(table_.CompactTenant("t1").ok());
  EXPECT_TRUE(absl::IsNotFound(table_.Get("t1", "a").status()));
  EXPECT_TRUE(absl::IsNotFound(table_.Get("t1", "b").status()));
  EXPECT_TRUE(table_.Get("t10", "a").ok());
}

}  // namespace
}  // namespace vault
