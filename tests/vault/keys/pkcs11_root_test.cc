// Tests for the PKCS#11 root against a throwaway SoftHSM2 token: AES-GCM in
// the token, a key hierarchy whose root never leaves it, root epochs that
// make older keyring copies unopenable (with the control that shows a copy
// opens without one), and backup keys that die at their expiry.
#include <gtest/gtest.h>

#include "base/status.h"
#include "crypto/pkcs11_token.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/softhsm.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

using testing::IsOk;
using testing::StatusIs;

class Pkcs11RootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hsm_.ok()) << hsm_.error();
    token_ = hsm_.Open();
    ASSERT_NE(token_, nullptr);
  }
  std::unique_ptr<KeyHierarchy> Open(const std::string& dir) {
    KeyHierarchyOptions options;
    options.dir = dir;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    options.token = token_.get();
    absl::StatusOr<std::unique_ptr<KeyHierarchy>> keys = KeyHierarchy::Open(options);
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? std::move(*keys) : nullptr;
  }
  std::unique_ptr<KeyHierarchy> OpenInitialised() {
    std::unique_ptr<KeyHierarchy> keys = Open(dir_.path());
    absl::StatusOr<std::string> root_api_key = keys->InitializeWithToken();
    EXPECT_TRUE(root_api_key.ok()) << root_api_key.status();
    EXPECT_TRUE(keys->sealed());
    EXPECT_THAT(keys->UnsealWithToken(), IsOk());
    return keys;
  }
  // A copy of the keyring slots, as a file-system snapshot would hold them.
  std::string CopyKeyring(const std::string& name) {
    const std::string to = dir_.Sub(name);
    EXPECT_EQ(
        std::system(
            ("mkdir -p '" + to + "' && cp '" + dir_.path() + "'/keyring.* '" + to + "'").c_str()),
        0);
    return to;
  }
  std::string KekBytes(KeyHierarchy& keys) {
    absl::StatusOr<KeyCache::Key> kek = keys.GetKek("acme", 1);
    EXPECT_TRUE(kek.ok()) << kek.status();
    if (!kek.ok()) return "";
    absl::Span<const uint8_t> bytes = crypto::RevealSecret(**kek);
    return std::string(bytes.begin(), bytes.end());
  }

  testing::SoftHsm hsm_;
  std::unique_ptr<crypto::Pkcs11Token> token_;
  testing::TempDir dir_;
  testing::FakeClock clock_;
};

TEST_F(Pkcs11RootTest, TokenEncryptsInsideAndChecksAssociatedData) {
  ASSERT_THAT(token_->GenerateKey("id-1", "test key"), IsOk());
  EXPECT_THAT(token_->GenerateKey("id-1", "again"), StatusIs(absl::StatusCode::kAlreadyExists));
  absl::StatusOr<crypto::SecretBytes> secret =
      crypto::SecretBytes::CopyFrom("thirty-two bytes of key material");
  ASSERT_TRUE(secret.ok());
  absl::StatusOr<std::string> sealed =
      token_->Encrypt("id-1", *secret, "ad", crypto::SystemRandom::Instance());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(), 12 + 32 + 16u);
  EXPECT_EQ(sealed->find("thirty-two"), std::string::npos);
  absl::StatusOr<crypto::SecretBytes> opened = token_->Decrypt("id-1", *sealed, "ad");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->Equals(*secret));
  EXPECT_THAT(token_->Decrypt("id-1", *sealed, "other ad").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  std::string flipped = *sealed;
  flipped[20] ^= 1;
  EXPECT_THAT(token_->Decrypt("id-1", flipped, "ad").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(token_->DestroyKey("id-1"), IsOk());
  EXPECT_THAT(token_->Decrypt("id-1", *sealed, "ad").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(token_->HasKey("id-1").value_or(!false), false);
}

TEST_F(Pkcs11RootTest, ClosingOneSessionLeavesAnotherLoggedIn) {
  // PKCS#11 logins belong to the process: a C_Logout from one session would
  // hide private objects from every other one, and a "destroy" would then
  // silently find nothing.
  ASSERT_THAT(token_->GenerateKey("id-2", "test key"), IsOk());
  hsm_.Open().reset();
  EXPECT_EQ(token_->HasKey("id-2").value_or(false), true);
  ASSERT_THAT(token_->DestroyKey("id-2"), IsOk());
  EXPECT_EQ(hsm_.Open()->HasKey("id-2").value_or(true), false);
}

TEST_F(Pkcs11RootTest, WrongPinIsTriedOnceAndAbsentTokenIsUnavailable) {
  absl::StatusOr<crypto::SecretBytes> pin = crypto::SecretBytes::CopyFrom("wrong");
  ASSERT_TRUE(pin.ok());
  absl::StatusOr<std::unique_ptr<crypto::Pkcs11Token>> wrong =
      crypto::Pkcs11Token::Open({hsm_.module_path(), hsm_.label()}, std::move(*pin));
  ASSERT_TRUE(wrong.ok());
  // A refused PIN is not retried (a real token would lock it): the second
  // call answers without a C_Login, and says what to do.
  EXPECT_THAT((*wrong)->Ping(), StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::Status again = (*wrong)->Ping();
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(again.message(), ::testing::HasSubstr("not retried"));
  absl::StatusOr<crypto::SecretBytes> pin2 = crypto::SecretBytes::CopyFrom(hsm_.kPin);
  ASSERT_TRUE(pin2.ok());
  absl::StatusOr<std::unique_ptr<crypto::Pkcs11Token>> absent =
      crypto::Pkcs11Token::Open({hsm_.module_path(), "no-such-token"}, std::move(*pin2));
  ASSERT_TRUE(absent.ok());
  EXPECT_THAT((*absent)->Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(crypto::Pkcs11Token::Open({"/nonexistent/module.so", "x"}, {}).ok());
}

TEST_F(Pkcs11RootTest, InitialisedVaultUnsealsFromTheTokenAndReopens) {
  std::string kek;
  {
    std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
    EXPECT_EQ(keys->seal_kind(), records::SealConfig::PKCS11);
    ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
    kek = KekBytes(*keys);
    // No unseal key exists: the file-root ways in are refused.
    EXPECT_THAT(keys->InitializeWithShares(3, 2).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  std::unique_ptr<KeyHierarchy> reopened = Open(dir_.path());
  EXPECT_TRUE(reopened->sealed());
  ASSERT_THAT(reopened->UnsealWithToken(), IsOk());
  EXPECT_EQ(KekBytes(*reopened), kek);
  // The keyring holds no key in clear.
  EXPECT_TRUE(testing::FindInFiles(dir_.path(), {kek}).empty());
}

TEST_F(Pkcs11RootTest, RootEpochMakesAnOlderCopyUnopenable) {
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
  const std::string kek = KekBytes(*keys);
  const std::string before = CopyKeyring("copy-before");
  const absl::Time erased = clock_.Now();
  clock_.Advance(absl::Hours(1));
  const absl::Time cutoff = clock_.Now();  // the tenant epoch's start
  clock_.Advance(absl::Hours(1));
  const absl::Time epoch_time = clock_.Now();
  EXPECT_EQ(keys->FinalAt("acme", erased), std::nullopt);
  ASSERT_THAT(keys->CloseRootEpoch("acme", cutoff), IsOk());
  EXPECT_EQ(keys->root_key_version(), 2u);
  // The live vault keeps every key, under the new root.
  EXPECT_EQ(KekBytes(*keys), kek);
  // Final: erasures of that tenant before the cutoff, from the root epoch on;
  // not a later erasure, nor another tenant's.
  EXPECT_EQ(keys->FinalAt("acme", erased), epoch_time);
  EXPECT_EQ(keys->FinalAt("acme", cutoff + absl::Seconds(1)), std::nullopt);
  EXPECT_EQ(keys->FinalAt("other", erased), std::nullopt);
  const std::string after = CopyKeyring("copy-after");

  std::unique_ptr<KeyHierarchy> old_copy = Open(before);
  EXPECT_THAT(old_copy->UnsealWithToken(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(old_copy->sealed());
  std::unique_ptr<KeyHierarchy> new_copy = Open(after);
  EXPECT_THAT(new_copy->UnsealWithToken(), IsOk());
  EXPECT_EQ(KekBytes(*new_copy), kek);
}

TEST_F(Pkcs11RootTest, ARootEpochAskedForWhileSealedRunsOnceUnsealed) {
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
  const absl::Time erased = clock_.Now();
  clock_.Advance(absl::Minutes(5));
  keys->Seal();
  // The tenant epoch ended while sealed: recorded, not yet run.
  EXPECT_THAT(keys->CloseRootEpoch("acme", clock_.Now()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(keys->FinalAt("acme", erased), std::nullopt);
  clock_.Advance(absl::Minutes(5));
  // The scheduler's pass unseals from the token and runs it; the epoch
  // covers the request, so the erasure is final from then on.
  ASSERT_THAT(keys->CheckToken(), IsOk());
  EXPECT_EQ(keys->root_key_version(), 2u);
  EXPECT_EQ(keys->FinalAt("acme", erased), clock_.Now());
  // A later request is not covered by that epoch.
  EXPECT_EQ(keys->FinalAt("acme", clock_.Now()), std::nullopt);
}

TEST_F(Pkcs11RootTest, WithoutAnEpochAnOlderCopyStillOpens) {
  // The control for the test above: what kills the copy is the epoch.
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
  const std::string kek = KekBytes(*keys);
  const std::string before = CopyKeyring("copy-before");
  ASSERT_TRUE(keys->RotateKek("acme").ok());
  std::unique_ptr<KeyHierarchy> old_copy = Open(before);
  ASSERT_THAT(old_copy->UnsealWithToken(), IsOk());
  EXPECT_EQ(KekBytes(*old_copy), kek);
}

TEST_F(Pkcs11RootTest, SchedulerCheckKeepsAReachableTokenUnsealed) {
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  ASSERT_THAT(keys->CheckToken(), IsOk());
  EXPECT_FALSE(keys->sealed());
  keys->Seal();
  // Sealed without a hold (the token was away): the check unseals it again
  // while the token holds the root.
  ASSERT_THAT(keys->CheckToken(), IsOk());
  EXPECT_FALSE(keys->sealed());
}

TEST_F(Pkcs11RootTest, AnOperatorsSealHoldsUntilAnExplicitUnseal) {
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  keys->SealAndHold();  // POST /v1/sys/seal
  ASSERT_THAT(keys->CheckToken(), IsOk());
  EXPECT_TRUE(keys->sealed()) << "the scheduler must not undo an emergency seal";
  ASSERT_THAT(keys->UnsealWithToken(), IsOk());  // vaultd's next start
  EXPECT_FALSE(keys->sealed());
}

TEST_F(Pkcs11RootTest, AVaultWithSharesStaysAFileRootWhenGivenAToken) {
  {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    std::unique_ptr<KeyHierarchy> file_root = std::move(*KeyHierarchy::Open(options));
    ASSERT_TRUE(file_root->InitializeWithKeyFile(dir_.Sub("unseal.key")).ok());
  }
  std::unique_ptr<KeyHierarchy> keys = Open(dir_.path());  // with the token
  EXPECT_FALSE(keys->token_root());
  EXPECT_TRUE(keys->token_mismatch());
  ASSERT_THAT(keys->UnsealWithKeyFile(dir_.Sub("unseal.key")), IsOk());
  ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
  // No token key is made for it: backups take no expiry, epochs record
  // nothing, and rotation stays the file root's.
  EXPECT_THAT(keys->WithBackupKeyring(absl::Hours(24),
                                      [](const records::Keyring&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(keys->CloseRootEpoch("acme", clock_.Now()), IsOk());
  EXPECT_EQ(keys->root_key_version(), 1u);
  EXPECT_TRUE(keys->RotateRoot().ok());
  EXPECT_EQ(keys->seal_kind(), records::SealConfig::KEY_FILE);
  EXPECT_EQ(keys->FinalAt("acme", clock_.Now() - absl::Hours(1)), std::nullopt);
}

TEST_F(Pkcs11RootTest, BackupKeyringOpensUntilItsDayEndsThenNever) {
  std::unique_ptr<KeyHierarchy> keys = OpenInitialised();
  ASSERT_THAT(keys->CreateTenant("acme", ""), IsOk());
  const std::string kek = KekBytes(*keys);
  clock_.Set(absl::FromUnixSeconds(1'800'000'000));  // 2027-01-15T08:00:00Z
  records::Keyring copy;
  ASSERT_THAT(keys->WithBackupKeyring(absl::Hours(24 * 35),
                                      [&](const records::Keyring& k) {
                                        copy = k;
                                        return absl::OkStatus();
                                      }),
              IsOk());
  const absl::Time expires = absl::FromUnixMillis(copy.backup_expires_at_unix_ms());
  EXPECT_EQ(expires, absl::FromUnixSeconds(1'800'000'000 - 8 * 3600) + absl::Hours(24 * 36));
  // The copy is wrapped under its own backup key, not the live root.
  ASSERT_FALSE(copy.seal().pkcs11_key_id().empty());
  std::string live_id;
  ASSERT_THAT(keys->WithKeyring([&](const records::Keyring& k) {
    live_id = k.seal().pkcs11_key_id();
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_NE(copy.seal().pkcs11_key_id(), live_id);
  clock_.Set(expires - absl::Seconds(1));
  EXPECT_EQ(keys->DestroyExpiredBackupKeys().value_or(-1), 0);
  EXPECT_EQ(token_->HasKey(copy.seal().pkcs11_key_id()).value_or(!true), true);
  clock_.Set(expires);
  EXPECT_EQ(keys->DestroyExpiredBackupKeys().value_or(-1), 1);
  EXPECT_EQ(token_->HasKey(copy.seal().pkcs11_key_id()).value_or(!false), false);
  // The live vault is unaffected.
  EXPECT_EQ(KekBytes(*keys), kek);
}

}  // namespace
}  // namespace vault
