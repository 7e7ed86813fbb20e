// Tests for backups through a fault-injecting Env: a backup or restore whose
// file writes or syncs fail is a clear error and leaves no folder behind;
// with legal short writes both succeed and the backup verifies.
#include "vault/backup/backup.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/clock.h"
#include "crypto/random.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/temp_dir.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault {
namespace {

class BackupFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.env = &env_;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    keys_ = std::move(*KeyHierarchy::Open(options));
    ASSERT_TRUE(keys_->InitializeWithKeyFile(dir_.Sub("unseal.key")).ok());
    ASSERT_TRUE(keys_->UnsealWithKeyFile(dir_.Sub("unseal.key")).ok());
    ASSERT_TRUE(keys_->CreateTenant("acme", "cn").ok());
    storage::RocksKvOptions rocks;
    rocks.path = dir_.Sub("db");
    kv_ = std::move(*storage::OpenRocksKvStore(rocks));
    storage::WriteBatch batch;
    batch.Put(storage::Table::kFields, "k", "v");
    ASSERT_TRUE(kv_->Write(batch).ok());
  }
  bool Exists(const std::string& path) const { return std::filesystem::exists(path); }

  testing::TempDir dir_;
  testing::FaultInjectingEnv env_;
  testing::FakeClock clock_;
  std::unique_ptr<KeyHierarchy> keys_;
  std::unique_ptr<storage::KvStore> kv_;
};

TEST_F(BackupFaultTest, ShortWritesStillMakeAVerifiableBackupThatRestores) {
  env_.ShortWrites(7);
  absl::StatusOr<BackupSummary> made = CreateBackup(*keys_, *kv_, dir_.Sub("backup"));
  ASSERT_TRUE(made.ok()) << made.status();
  absl::StatusOr<BackupSummary> verified = VerifyBackup(dir_.Sub("backup"), "", env_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->files, made->files);
  EXPECT_EQ(verified->bytes, made->bytes);
  absl::StatusOr<RestoreReport> restored =
      RestoreBackup(dir_.Sub("backup"), dir_.Sub("restored"), {}, absl::Now(), "", nullptr, env_);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(Exists(dir_.Sub("restored/db")));
  EXPECT_FALSE(Exists(dir_.Sub("restored.partial")));
}

TEST_F(BackupFaultTest, FailedWriteIsAnErrorAndLeavesNoBackupFolder) {
  env_.FailWritesAfter(0);  // the first file the backup writes (its keyring)
  absl::StatusOr<BackupSummary> made = CreateBackup(*keys_, *kv_, dir_.Sub("backup"));
  ASSERT_FALSE(made.ok());
  EXPECT_TRUE(absl::IsUnavailable(made.status())) << made.status();
  EXPECT_FALSE(Exists(dir_.Sub("backup")));
}

TEST_F(BackupFaultTest, FailedManifestSyncIsAnErrorAndLeavesNoBackupFolder) {
  env_.FailSync(2);  // the keyring syncs; the manifest does not
  absl::StatusOr<BackupSummary> made = CreateBackup(*keys_, *kv_, dir_.Sub("backup"));
  ASSERT_FALSE(made.ok());
  EXPECT_TRUE(absl::IsUnavailable(made.status())) << made.status();
  EXPECT_FALSE(Exists(dir_.Sub("backup")));
}

TEST_F(BackupFaultTest, FailedRestoreWriteLeavesNoDataFolder) {
  ASSERT_TRUE(CreateBackup(*keys_, *kv_, dir_.Sub("backup")).ok());
  testing::FaultInjectingEnv failing;
  failing.FailWritesAfter(100);  // part-way through copying the database
  absl::StatusOr<RestoreReport> restored = RestoreBackup(dir_.Sub("backup"), dir_.Sub("restored"),
                                                         {}, absl::Now(), "", nullptr, failing);
  ASSERT_FALSE(restored.ok());
  EXPECT_TRUE(absl::IsUnavailable(restored.status())) << restored.status();
  EXPECT_FALSE(Exists(dir_.Sub("restored")));
  EXPECT_FALSE(Exists(dir_.Sub("restored.partial")));
  // The backup itself is untouched and still restores.
  EXPECT_TRUE(RestoreBackup(dir_.Sub("backup"), dir_.Sub("restored"), {}, absl::Now()).ok());
}

TEST_F(BackupFaultTest, ExistingFolderIsRefusedAndKept) {
  std::filesystem::create_directory(dir_.Sub("backup"));
  EXPECT_TRUE(absl::IsFailedPrecondition(CreateBackup(*keys_, *kv_, dir_.Sub("backup")).status()));
  EXPECT_TRUE(Exists(dir_.Sub("backup")));
}

}  // namespace
}  // namespace vault
