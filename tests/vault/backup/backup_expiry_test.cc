// Backups that expire, with a PKCS#11 root (SoftHSM2) and an injected
// clock: a backup restores and opens before its day ends; once it has ended
// the restore is refused with the expiry named, the scheduler destroys the
// backup's key object, and a copy restored earlier but never opened cannot
// be opened. A vault restored and opened in time moves to a root of its own
// and survives the backup key's destruction.
#include <gtest/gtest.h>

#include <map>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/softhsm.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "vault/backup/backup.h"
#include "vault/internal/vault_parts.h"
#include "vault/vault.h"

namespace vault {
namespace {

using testing::IsOk;
using testing::StatusIs;
using vault::internal::Parts;

class BackupExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hsm_.ok()) << hsm_.error();
    clock_.Set(absl::FromUnixSeconds(1'800'000'000));  // 2027-01-15T08:00:00Z
    vault_ = Open(dir_.Sub("data"));
    ASSERT_NE(vault_, nullptr);
    ASSERT_TRUE(vault_->system().Initialize(0, 0).ok());
    ASSERT_FALSE(vault_->system().Status().sealed);
    ASSERT_THAT(Parts(*vault_).keys().CreateTenant("acme", ""), IsOk());
    ASSERT_THAT(
        Parts(*vault_).subjects().PutFields("acme", "s-1", {{"note", {"generic", "owl", ""}}}),
        IsOk());
  }
  std::unique_ptr<Vault> Open(const std::string& data_dir) {
    VaultOptions options;
    options.data_dir = data_dir;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    options.token = hsm_.Open();
    EXPECT_NE(options.token, nullptr);
    absl::StatusOr<std::unique_ptr<Vault>> v = Vault::Open(std::move(options));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(*v) : nullptr;
  }
  std::string NoteOf(Vault& v) {
    absl::StatusOr<std::map<std::string, RevealedField>> fields =
        Parts(v).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain);
    if (!fields.ok()) return std::string(fields.status().message());
    return fields->at("note").value;
  }
  absl::StatusOr<RestoreReport> Restore(const std::string& to) {
    return RestoreBackup(dir_.Sub("bk"), to, {}, clock_.Now());
  }

  testing::SoftHsm hsm_;
  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(BackupExpiryTest, ExpiredBackupCannotBeRestoredOrOpened) {
  absl::StatusOr<BackupSummary> made = CreateBackup(Parts(*vault_).keys(), Parts(*vault_).kv(),
                                                    dir_.Sub("bk"), absl::Hours(24 * 35));
  ASSERT_TRUE(made.ok()) << made.status();
  // The end of the day 35 days on: 2027-02-20T00:00:00Z.
  const absl::Time expires = absl::FromUnixSeconds(1'800'000'000 - 8 * 3600 + 36 * 86400);
  EXPECT_EQ(absl::FromUnixMillis(made->expires_at_unix_ms), expires);
  EXPECT_EQ(VerifyBackup(dir_.Sub("bk"))->expires_at_unix_ms, made->expires_at_unix_ms);

  // In time: restores, and the restored vault opens from the token.
  ASSERT_THAT(Restore(dir_.Sub("in-time")), IsOk());
  {
    std::unique_ptr<Vault> restored = Open(dir_.Sub("in-time"));
    ASSERT_THAT(restored->UnsealFromToken(), IsOk());
    EXPECT_EQ(NoteOf(*restored), "owl");
  }
  // Restored in time but never opened until after the expiry.
  ASSERT_THAT(Restore(dir_.Sub("late")), IsOk());

  clock_.Set(expires - absl::Seconds(1));
  EXPECT_EQ(vault_->system().RunMaintenance().backup_keys_destroyed, 0);
  clock_.Set(expires);
  absl::StatusOr<RestoreReport> refused = Restore(dir_.Sub("too-late"));
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("2027-02-20T00:00:00"));
  EXPECT_EQ(vault_->system().RunMaintenance().backup_keys_destroyed, 1);

  std::unique_ptr<Vault> late = Open(dir_.Sub("late"));
  absl::Status unsealed = late->UnsealFromToken();
  EXPECT_THAT(unsealed, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(unsealed.message(), ::testing::HasSubstr("expired at 2027-02-20T00:00:00"));
  EXPECT_TRUE(late->system().Status().sealed);
  // Even with the clock turned back, the key object is gone.
  late.reset();
  clock_.Set(expires - absl::Hours(1));
  late = Open(dir_.Sub("late"));
  ASSERT_NE(late, nullptr);
  EXPECT_THAT(late->UnsealFromToken(), StatusIs(absl::StatusCode::kPermissionDenied));

  // The vault restored and opened in time has a root of its own.
  std::unique_ptr<Vault> in_time = Open(dir_.Sub("in-time"));
  ASSERT_THAT(in_time->UnsealFromToken(), IsOk());
  EXPECT_EQ(NoteOf(*in_time), "owl");
  // The live vault never depended on the backup key.
  EXPECT_EQ(NoteOf(*vault_), "owl");
}

TEST_F(BackupExpiryTest, ExpiryIsBoundedAndNeedsATokenRoot) {
  EXPECT_THAT(CreateBackup(Parts(*vault_).keys(), Parts(*vault_).kv(), dir_.Sub("bk"),
                           absl::Hours(24 * 401))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Default: 35 days.
  absl::StatusOr<BackupSummary> made =
      CreateBackup(Parts(*vault_).keys(), Parts(*vault_).kv(), dir_.Sub("bk"));
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(absl::FromUnixMillis(made->expires_at_unix_ms),
            absl::FromUnixSeconds(1'800'000'000 - 8 * 3600 + 36 * 86400));
}

}  // namespace
}  // namespace vault
