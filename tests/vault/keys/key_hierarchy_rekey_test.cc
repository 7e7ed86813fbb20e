// Tests for rekey and root API key rotation in the key hierarchy: progress
// up to the current threshold, refusals (wrong shares, repeated share,
// counts, other seal kinds, sealed), cancel, that afterwards only the new
// shares unseal and no keyring slot holds the old wrapping, and that a
// keyring write failing part-way leaves the old shares working (or, once
// the new wrapping is durable, hands out the new ones).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "vault/keys/api_keys.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

using testing::IsOk;
using testing::StatusIs;
using Progress = KeyHierarchy::RekeyProgress;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Raw(const crypto::SecretBytes& secret) {
  absl::Span<const uint8_t> raw = crypto::RevealSecret(secret);
  return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

class KeyHierarchyRekeyTest : public ::testing::Test {
 protected:
  std::unique_ptr<KeyHierarchy> Open(base::Env* env = &base::Env::Posix()) {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.env = env;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    options.argon2 = crypto::Argon2idParams::MinimumForTesting();
    return std::move(*KeyHierarchy::Open(options));
  }
  // A Shamir vault (5 shares, 3 unseal), unsealed with shares 0, 1, 2.
  std::unique_ptr<KeyHierarchy> OpenUnsealedShamir(base::Env* env = &base::Env::Posix()) {
    std::unique_ptr<KeyHierarchy> keys = Open(env);
    absl::StatusOr<KeyHierarchy::ShamirInit> init = keys->InitializeWithShares(5, 3);
    EXPECT_TRUE(init.ok()) << init.status();
    shares_ = init->shares;
    EXPECT_TRUE(Unseal(*keys, {shares_[0], shares_[1], shares_[2]}).ok());
    return keys;
  }
  static absl::Status Unseal(KeyHierarchy& keys, const std::vector<std::string>& shares) {
    for (const std::string& share : shares) {
      absl::StatusOr<KeyHierarchy::UnsealProgress> p = keys.SubmitUnsealShare(share);
      if (!p.ok()) return p.status();
    }
    return keys.sealed() ? absl::FailedPreconditionError("still sealed") : absl::OkStatus();
  }
  // Rekeys to `n` shares (threshold `t`) with the current shares 0..2.
  std::vector<std::string> Rekey(KeyHierarchy& keys, int n, int t) {
    absl::StatusOr<Progress> p;
    for (int i = 0; i < 3; ++i) p = keys.SubmitRekeyShare(n, t, shares_[i]);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return {};
    EXPECT_TRUE(p->complete);
    return p->shares;
  }
  std::string WrappedRootKey() {
    return (**KeyringFile(dir_.path(), &base::Env::Posix()).Load()).wrapped_root_key();
  }
  // How many of the two slot files contain `bytes`.
  int SlotsContaining(const std::string& bytes) {
    KeyringFile file(dir_.path(), &base::Env::Posix());
    int n = 0;
    for (int slot = 0; slot < 2; ++slot) {
      n += ReadAll(file.SlotPath(slot)).find(bytes) != std::string::npos ? 1 : 0;
    }
    return n;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::vector<std::string> shares_;  // the current shares of OpenUnsealedShamir's vault
};

TEST_F(KeyHierarchyRekeyTest, ProgressCountsCurrentSharesUpToTheCurrentThreshold) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  absl::StatusOr<Progress> p1 = keys->SubmitRekeyShare(3, 2, shares_[4]);
  ASSERT_THAT(p1, IsOk());
  EXPECT_FALSE(p1->complete);
  EXPECT_EQ(p1->progress, 1);
  EXPECT_EQ(p1->threshold, 3);  // the current threshold, not the new one
  EXPECT_TRUE(p1->shares.empty());
  absl::StatusOr<Progress> p2 = keys->SubmitRekeyShare(3, 2, shares_[0]);
  ASSERT_THAT(p2, IsOk());
  EXPECT_FALSE(p2->complete);
  EXPECT_EQ(p2->progress, 2);
  absl::StatusOr<Progress> p3 = keys->SubmitRekeyShare(3, 2, shares_[3]);
  ASSERT_THAT(p3, IsOk());
  EXPECT_TRUE(p3->complete);
  EXPECT_EQ(p3->shares.size(), 3u);
  EXPECT_EQ(p3->threshold, 2);
  records::Keyring stored = **KeyringFile(dir_.path(), &base::Env::Posix()).Load();
  EXPECT_EQ(stored.seal().shamir_shares(), 3u);
  EXPECT_EQ(stored.seal().shamir_threshold(), 2u);
  EXPECT_FALSE(keys->sealed());
}

TEST_F(KeyHierarchyRekeyTest, AfterRekeyOnlyTheNewSharesUnsealAndTheKeysAreTheSame) {
  std::vector<std::string> fresh;
  std::string kek_before;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
    ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
    kek_before = Raw(*keys->GetActiveKek("acme")->key);
    fresh = Rekey(*keys, 4, 2);
    ASSERT_EQ(fresh.size(), 4u);
    // Root rotation wraps under the new unseal key (kept in memory).
    ASSERT_THAT(keys->RotateRoot(), IsOk());
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_THAT(Unseal(*keys, {shares_[0], shares_[1], shares_[2]}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Unseal(*keys, {shares_[2], shares_[3], shares_[4]}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(keys->sealed());
  // Now 2 of the new shares are the threshold.
  absl::StatusOr<KeyHierarchy::UnsealProgress> one = keys->SubmitUnsealShare(fresh[3]);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->threshold, 2);
  ASSERT_THAT(keys->SubmitUnsealShare(fresh[1]), IsOk());
  ASSERT_FALSE(keys->sealed());
  EXPECT_EQ(Raw(*keys->GetActiveKek("acme")->key), kek_before);
}

TEST_F(KeyHierarchyRekeyTest, NeitherKeyringSlotKeepsTheOldWrappedRootKey) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  const std::string old_wrapping = WrappedRootKey();
  ASSERT_EQ(SlotsContaining(old_wrapping), 2);  // the control: both slots held it
  Rekey(*keys, 5, 3);
  const std::string new_wrapping = WrappedRootKey();
  EXPECT_NE(new_wrapping, old_wrapping);
  EXPECT_EQ(SlotsContaining(old_wrapping), 0);
  EXPECT_EQ(SlotsContaining(new_wrapping), 2);
}

TEST_F(KeyHierarchyRekeyTest, WrongSharesArePermissionDeniedAndProgressStartsOver) {
  std::vector<std::string> theirs;
  {
    testing::TempDir other;
    KeyHierarchyOptions options;
    options.dir = other.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    theirs = (*KeyHierarchy::Open(options))->InitializeWithShares(5, 3)->shares;
  }
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  const std::string wrapping = WrappedRootKey();
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
  EXPECT_THAT(keys->SubmitRekeyShare(3, 2, theirs[2]),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(WrappedRootKey(), wrapping);
  EXPECT_FALSE(keys->sealed());
  // Started over: the same shares count from 1 again, and then succeed.
  absl::StatusOr<Progress> again = keys->SubmitRekeyShare(3, 2, shares_[0]);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->progress, 1);
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
  absl::StatusOr<Progress> done = keys->SubmitRekeyShare(3, 2, shares_[2]);
  ASSERT_THAT(done, IsOk());
  EXPECT_TRUE(done->complete);
}

TEST_F(KeyHierarchyRekeyTest, CancelDropsTheSharesGiven) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
  EXPECT_TRUE(keys->CancelRekey());
  EXPECT_FALSE(keys->CancelRekey());  // nothing in progress any more
  // Not "already given", and new counts are accepted.
  absl::StatusOr<Progress> p = keys->SubmitRekeyShare(4, 4, shares_[0]);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->progress, 1);
}

TEST_F(KeyHierarchyRekeyTest, SealCancelsTheRekeyInProgress) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
  keys->Seal();
  EXPECT_TRUE(IsSealed(keys->SubmitRekeyShare(3, 2, shares_[2]).status()));
  ASSERT_THAT(Unseal(*keys, {shares_[2], shares_[3], shares_[4]}), IsOk());
  absl::StatusOr<Progress> p = keys->SubmitRekeyShare(3, 2, shares_[2]);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->progress, 1);
}

TEST_F(KeyHierarchyRekeyTest, CountsDifferentFromTheAttemptsAreInvalidArgument) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
  EXPECT_THAT(keys->SubmitRekeyShare(4, 2, shares_[1]),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(keys->SubmitRekeyShare(3, 3, shares_[1]),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The attempt is kept: the right counts go on from where it was.
  absl::StatusOr<Progress> p = keys->SubmitRekeyShare(3, 2, shares_[1]);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->progress, 2);
}

TEST_F(KeyHierarchyRekeyTest, BadCountsAndRepeatedOrMalformedSharesAreInvalidArgument) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  for (auto [n, t] : std::vector<std::pair<int, int>>{{1, 1}, {2, 3}, {256, 2}, {0, 0}, {5, 1}}) {
    EXPECT_THAT(keys->SubmitRekeyShare(n, t, shares_[0]),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n << "/" << t;
  }
  EXPECT_THAT(keys->SubmitRekeyShare(3, 2, "vs1-garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
  EXPECT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<Progress> p = keys->SubmitRekeyShare(3, 2, shares_[1]);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->progress, 2);
}

TEST_F(KeyHierarchyRekeyTest, OtherSealKindsAndASealedVaultAreRefused) {
  {
    std::unique_ptr<KeyHierarchy> uninitialised = Open();
    EXPECT_THAT(uninitialised->SubmitRekeyShare(3, 2, "vs1-x"),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {
    testing::TempDir other;
    KeyHierarchyOptions options;
    options.dir = other.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    std::unique_ptr<KeyHierarchy> key_file = std::move(*KeyHierarchy::Open(options));
    ASSERT_THAT(key_file->InitializeWithKeyFile(other.Sub("unseal.key")), IsOk());
    ASSERT_THAT(key_file->UnsealWithKeyFile(other.Sub("unseal.key")), IsOk());
    EXPECT_THAT(key_file->SubmitRekeyShare(3, 2, "vs1-x"),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         ::testing::HasSubstr("not sealed with Shamir shares")));
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  std::vector<std::string> shares = keys->InitializeWithShares(3, 2)->shares;
  EXPECT_TRUE(IsSealed(keys->SubmitRekeyShare(3, 2, shares[0]).status()));
}

TEST_F(KeyHierarchyRekeyTest, FailedFirstSlotWriteChangesNothingAndOldSharesStillUnseal) {
  testing::FaultInjectingEnv env;
  std::string wrapping;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir(&env);
    wrapping = WrappedRootKey();
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
    env.FailWritesAfter(0);
    EXPECT_THAT(keys->SubmitRekeyShare(3, 2, shares_[2]), StatusIs(absl::StatusCode::kUnavailable));
    // Still working on the old unseal key: a root rotation wraps under it.
    env.FailWritesAfter(SIZE_MAX);  // as int64: -1, no limit again
    ASSERT_THAT(keys->RotateRoot(), IsOk());
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_THAT(Unseal(*keys, {shares_[2], shares_[3], shares_[4]}), IsOk());
}

// A failed fsync of the first slot leaves the new keyring readable in it
// (the page cache); without the write-back a restart would load it and the
// old shares would no longer unseal, while the new ones were never shown.
TEST_F(KeyHierarchyRekeyTest, FailedFsyncIsRolledBackSoTheOldSharesStillUnseal) {
  testing::FaultInjectingEnv env;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir(&env);
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
    env.FailSync(1);
    EXPECT_THAT(keys->SubmitRekeyShare(3, 2, shares_[2]),
                StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("fsync")));
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_THAT(Unseal(*keys, {shares_[0], shares_[3], shares_[4]}), IsOk());
}

// Once one slot holds the new wrapping durably and nothing more can be
// written, the rekey is in force: the new shares are returned (they are the
// only ones that open the newest slot).
TEST_F(KeyHierarchyRekeyTest, NewWrappingDurableInOneSlotIsInForceAndItsSharesReturned) {
  testing::FaultInjectingEnv env;
  std::vector<std::string> fresh;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir(&env);
    const size_t slot_size = ReadAll(KeyringFile(dir_.path(), &env).SlotPath(0)).size();
    ASSERT_EQ(slot_size, ReadAll(KeyringFile(dir_.path(), &env).SlotPath(1)).size());
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[0]), IsOk());
    ASSERT_THAT(keys->SubmitRekeyShare(3, 2, shares_[1]), IsOk());
    env.FailWritesAfter(slot_size);  // the first slot, then nothing
    absl::StatusOr<Progress> p = keys->SubmitRekeyShare(3, 2, shares_[2]);
    ASSERT_THAT(p, IsOk());
    ASSERT_TRUE(p->complete);
    fresh = p->shares;
  }
  std::unique_ptr<KeyHierarchy> keys = Open();
  EXPECT_THAT(Unseal(*keys, {shares_[0], shares_[1], shares_[2]}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Unseal(*keys, {fresh[0], fresh[2]}), IsOk());
}

TEST_F(KeyHierarchyRekeyTest, RotatedRootApiKeyReplacesTheHashInBothSlots) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir();
  const std::string old_hash = *keys->RootApiKeyHash();
  ASSERT_EQ(SlotsContaining(old_hash), 2);
  absl::StatusOr<std::string> fresh = keys->RotateRootApiKey();
  ASSERT_THAT(fresh, IsOk());
  EXPECT_TRUE(LooksLikeApiKey(*fresh));
  const std::string new_hash = *keys->RootApiKeyHash();
  EXPECT_EQ(new_hash, *ApiKeyHash(**keys->GetSystemSubkey(SystemSubkey::kApiKeyHash), *fresh));
  EXPECT_EQ(SlotsContaining(old_hash), 0);
  EXPECT_EQ(SlotsContaining(new_hash), 2);
  keys->Seal();
  EXPECT_TRUE(IsSealed(keys->RotateRootApiKey().status()));
}

TEST_F(KeyHierarchyRekeyTest, FailedRootApiKeyRotationKeepsTheOldHash) {
  testing::FaultInjectingEnv env;
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealedShamir(&env);
  const std::string old_hash = *keys->RootApiKeyHash();
  env.FailSync(1);
  EXPECT_THAT(keys->RotateRootApiKey(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(*keys->RootApiKeyHash(), old_hash);
  EXPECT_EQ((**KeyringFile(dir_.path(), &base::Env::Posix()).Load()).root_api_key_hash(), old_hash);
}

}  // namespace
}  // namespace vault
