// Tests for the key hierarchy: sealed by default, unseal by key file and by
// passphrase with clean errors, tenants and KEK versions, persistence, and
// that the keyring on disk never holds an unwrapped key.
#include "vault/keys/key_hierarchy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>

#include "base/status.h"
#include "crypto/signing.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace vault {
namespace {

using testing::IsOk;
using testing::StatusIs;

class KeyHierarchyTest : public ::testing::Test {
 protected:
  std::unique_ptr<KeyHierarchy> Open() {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();  // distinct keys per vault
    options.argon2 = crypto::Argon2idParams::MinimumForTesting();
    return std::move(*KeyHierarchy::Open(options));
  }
  std::unique_ptr<KeyHierarchy> OpenUnsealed() {
    std::unique_ptr<KeyHierarchy> keys = Open();
    EXPECT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
    EXPECT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
    return keys;
  }
  std::string KeyFile() const { return dir_.Sub("unseal.key"); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
};

TEST_F(KeyHierarchyTest, FreshVaultIsUninitialisedAndSealed) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_FALSE(keys->initialized());
  EXPECT_TRUE(keys->sealed());
  EXPECT_TRUE(IsSealed(keys->CreateTenant("acme", "")));
  EXPECT_TRUE(absl::IsFailedPrecondition(keys->UnsealWithKeyFile(KeyFile())));
}

TEST_F(KeyHierarchyTest, InitialiseLeavesVaultSealedAndKeyFilePrivate) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  EXPECT_TRUE(keys->initialized());
  EXPECT_TRUE(keys->sealed());
  struct stat st {};
  ASSERT_EQ(::stat(KeyFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(
      absl::IsFailedPrecondition(keys->InitializeWithKeyFile(dir_.Sub("other.key")).status()));
  ASSERT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
  EXPECT_FALSE(keys->sealed());
}

TEST_F(KeyHierarchyTest, WrongKeyFileIsPermissionDeniedAndStaysSealed) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  testing::TempDir other;
  KeyHierarchyOptions options;
  options.dir = other.path();
  options.clock = &clock_;
  options.random = &crypto::SystemRandom::Instance();  // distinct keys per vault
  std::unique_ptr<KeyHierarchy> other_keys = std::move(*KeyHierarchy::Open(options));
  ASSERT_TRUE(other_keys->InitializeWithKeyFile(other.Sub("unseal.key")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(keys->UnsealWithKeyFile(other.Sub("unseal.key"))));
  EXPECT_TRUE(keys->sealed());
}

TEST_F(KeyHierarchyTest, GroupReadableKeyFileIsRefused) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  ASSERT_EQ(::chmod(KeyFile().c_str(), 0644), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(keys->UnsealWithKeyFile(KeyFile())));
  EXPECT_TRUE(keys->sealed());
}

TEST_F(KeyHierarchyTest, KeyFileWithoutKeyringIsReusedNotRefused) {
  // A crash after writing the key file but before the keyring leaves this.
  {
    testing::TempDir scratch;
    KeyHierarchyOptions options;
    options.dir = scratch.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();  // distinct keys per vault
    std::unique_ptr<KeyHierarchy> other = std::move(*KeyHierarchy::Open(options));
    ASSERT_TRUE(
        other->InitializeWithKeyFile(KeyFile()).ok());  // key file in dir_, keyring elsewhere
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_FALSE(keys->initialized());
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  EXPECT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
}

TEST_F(KeyHierarchyTest, TamperedPublishedSigningKeyFailsUnseal) {
  { OpenUnsealed(); }
  KeyringFile file(dir_.path(), &base::Env::Posix());
  records::Keyring k = **file.Load();
  std::string pk = k.signing_public_key();
  pk[0] = static_cast<char>(pk[0] ^ 1);
  k.set_signing_public_key(pk);
  k.set_generation(k.generation() + 1);
  ASSERT_TRUE(file.Store(k).ok());
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_TRUE(absl::IsDataLoss(keys->UnsealWithKeyFile(KeyFile())));
  EXPECT_TRUE(keys->sealed());
}

TEST_F(KeyHierarchyTest, ThreeOfFiveSharesUnsealTwoDoNot) {
  std::vector<std::string> shares;
  {
    std::unique_ptr<KeyHierarchy> keys = Open();
    absl::StatusOr<KeyHierarchy::ShamirInit> init = keys->InitializeWithShares(5, 3);
    ASSERT_TRUE(init.ok()) << init.status();
    shares = init->shares;
    EXPECT_EQ(init->root_api_key.substr(0, 7), "vaultd_");
    EXPECT_TRUE(absl::IsFailedPrecondition(keys->InitializeWithShares(5, 3).status()));
  }
  // No share and no whole unseal key is stored anywhere in the folder.
  std::vector<std::string> needles;
  for (const std::string& s : shares) needles.push_back(s);
  EXPECT_TRUE(testing::FindInFiles(dir_.path(), needles).empty());

  std::unique_ptr<KeyHierarchy> keys = Open();
  auto p1 = keys->SubmitUnsealShare(shares[4]);
  ASSERT_TRUE(p1.ok());
  EXPECT_TRUE(p1->sealed);
  EXPECT_EQ(p1->progress, 1);
  EXPECT_EQ(p1->threshold, 3);
  EXPECT_TRUE(absl::IsInvalidArgument(keys->SubmitUnsealShare(shares[4]).status()));  // repeated
  auto p2 = keys->SubmitUnsealShare(shares[1]);
  EXPECT_TRUE(p2->sealed);
  EXPECT_EQ(p2->progress, 2);
  EXPECT_TRUE(keys->sealed());
  auto p3 = keys->SubmitUnsealShare(shares[2]);
  ASSERT_TRUE(p3.ok()) << p3.status();
  EXPECT_FALSE(p3->sealed);
  EXPECT_FALSE(keys->sealed());
}

TEST_F(KeyHierarchyTest, SharesOfAnotherVaultDoNotUnsealAndProgressRestarts) {
  std::vector<std::string> mine, theirs;
  {
    std::unique_ptr<KeyHierarchy> keys = Open();
    mine = keys->InitializeWithShares(3, 2)->shares;
  }
  {
    testing::TempDir other;
    KeyHierarchyOptions options;
    options.dir = other.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();  // distinct keys per vault
    theirs = (*KeyHierarchy::Open(options))->InitializeWithShares(3, 2)->shares;
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  ASSERT_THAT(keys->SubmitUnsealShare(theirs[0]), IsOk());
  EXPECT_THAT(keys->SubmitUnsealShare(theirs[1]), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(keys->sealed());
  EXPECT_EQ(keys->SubmitUnsealShare(mine[0])->progress, 1);  // started over
  EXPECT_FALSE(keys->SubmitUnsealShare(mine[2])->sealed);
}

TEST_F(KeyHierarchyTest, PassphraseUnsealsAndWrongPassphraseIsCleanError) {
  {
    std::unique_ptr<KeyHierarchy> keys = Open();
    ASSERT_THAT(keys->InitializeWithPassphrase("correct horse battery staple"), IsOk());
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_TRUE(absl::IsPermissionDenied(keys->UnsealWithPassphrase("correct horse battery")));
  EXPECT_TRUE(keys->sealed());
  EXPECT_THAT(keys->UnsealWithPassphrase(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(keys->UnsealWithKeyFile(KeyFile()), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(keys->UnsealWithPassphrase("correct horse battery staple"), IsOk());
  EXPECT_FALSE(keys->sealed());
}

TEST_F(KeyHierarchyTest, TenantsPersistAcrossReopenWithSameKeys) {
  std::string kek_v1_copy;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
    ASSERT_THAT(keys->CreateTenant("acme", "cn"), IsOk());
    EXPECT_THAT(keys->CreateTenant("acme", ""), StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_THAT(keys->CreateTenant("Bad Id", ""), StatusIs(absl::StatusCode::kInvalidArgument));
    KeyCache::Key kek = *keys->GetKek("acme", 1);
    absl::Span<const uint8_t> raw = crypto::RevealSecret(*kek);
    kek_v1_copy.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_TRUE(keys->sealed());
  EXPECT_TRUE(IsSealed(keys->GetKek("acme", 1).status()));
  ASSERT_THAT(keys->UnsealWithKeyFile(KeyFile()), IsOk());
  absl::StatusOr<TenantInfo> info = keys->GetTenant("acme");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->residency, "cn");
  EXPECT_EQ(info->active_kek_version, 1u);
  KeyCache::Key kek = *keys->GetKek("acme", 1);
  EXPECT_TRUE(kek->Equals(*crypto::SecretBytes::CopyFrom(kek_v1_copy)));
  EXPECT_TRUE(absl::IsNotFound(keys->GetTenant("other").status()));
  EXPECT_TRUE(absl::IsNotFound(keys->GetKek("acme", 9).status()));
}

TEST_F(KeyHierarchyTest, RotationAddsVersionAndKeepsOldOneReadable) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
  ASSERT_TRUE(keys->CreateTenant("acme", "").ok());
  KeyCache::Key v1 = *keys->GetKek("acme", 1);
  absl::StatusOr<uint32_t> v = keys->RotateKek("acme");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2u);
  ActiveKek active = *keys->GetActiveKek("acme");
  EXPECT_EQ(active.version, 2u);
  EXPECT_FALSE(active.key->Equals(*v1));
  EXPECT_TRUE((*keys->GetKek("acme", 1))->Equals(*v1));
  std::vector<KekInfo> list = *keys->ListKeks("acme");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].state, records::KekVersion::RETIRED);
  EXPECT_EQ(list[1].state, records::KekVersion::ACTIVE);
  EXPECT_TRUE(absl::IsNotFound(keys->RotateKek("nobody").status()));
}

TEST_F(KeyHierarchyTest, TenantSubkeysDifferPerTenantAndKindAndSurviveRotation) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
  ASSERT_TRUE(keys->CreateTenant("a", "").ok());
  ASSERT_TRUE(keys->CreateTenant("b", "").ok());
  KeyCache::Key a_token = *keys->GetTenantSubkey("a", TenantSubkey::kToken);
  KeyCache::Key a_hash = *keys->GetTenantSubkey("a", TenantSubkey::kHash);
  KeyCache::Key b_token = *keys->GetTenantSubkey("b", TenantSubkey::kToken);
  EXPECT_FALSE(a_token->Equals(*a_hash));
  EXPECT_FALSE(a_token->Equals(*b_token));
  ASSERT_TRUE(keys->RotateKek("a").ok());
  keys->Seal();
  ASSERT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
  EXPECT_TRUE((*keys->GetTenantSubkey("a", TenantSubkey::kToken))->Equals(*a_token));
}

TEST_F(KeyHierarchyTest, SealDropsKeysAndTellsListeners) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
  ASSERT_TRUE(keys->CreateTenant("acme", "").ok());
  std::atomic<int> told{0};
  keys->AddSealListener([&] { ++told; });
  keys->Seal();
  EXPECT_EQ(told, 1);
  EXPECT_TRUE(keys->sealed());
  EXPECT_TRUE(IsSealed(keys->GetKek("acme", 1).status()));
  EXPECT_TRUE(IsSealed(keys->GetTenantSubkey("acme", TenantSubkey::kHash).status()));
  EXPECT_TRUE(IsSealed(keys->Sign("x").status()));
}

TEST_F(KeyHierarchyTest, SignaturesVerifyWithPublishedKeyEvenWhileSealed) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
  std::string sig = *keys->Sign("receipt");
  keys->Seal();
  std::string pk = *keys->SigningPublicKey();
  EXPECT_TRUE(crypto::VerifySignature(pk, "receipt", sig).ok());
  EXPECT_FALSE(crypto::VerifySignature(pk, "receipT", sig).ok());
}

TEST_F(KeyHierarchyTest, KeyringFilesHoldNoUnwrappedKey) {
  std::vector<std::string> raw_keys;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealed();
    for (std::string t : {"t1", "t2", "t3"}) {
      ASSERT_TRUE(keys->CreateTenant(t, "").ok());
      ASSERT_TRUE(keys->RotateKek(t).ok());
      for (uint32_t v : {1u, 2u}) {
        absl::Span<const uint8_t> raw = crypto::RevealSecret(**keys->GetKek(t, v));
        raw_keys.emplace_back(reinterpret_cast<const char*>(raw.data()), raw.size());
      }
    }
  }
  std::vector<std::string> needles;
  for (const std::string& k : raw_keys) needles.push_back(k.substr(0, 16));
  std::vector<std::string> found = testing::FindInFiles(dir_.path(), needles);
  EXPECT_TRUE(found.empty());
}

}  // namespace
}  // namespace vault
