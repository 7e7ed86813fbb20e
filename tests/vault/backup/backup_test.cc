// Tests for backups: create and verify, tampering detected (manifest,
// keyring, database files, extra or missing files), and a restore into a new
// folder that serves the backed-up data and replays newer erasures.
#include "vault/backup/backup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/lifecycle/lifecycle.h"

using vault::internal::Parts;

namespace vault {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}
void FlipByte(const std::string& path, size_t at) {
  std::string bytes = ReadAll(path);
  ASSERT_LT(at, bytes.size()) << path;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
  WriteAll(path, bytes);
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.Sub("data"), &clock_, {"acme"});
    Put("s-1", "first-owl");
    Put("s-2", "second-owl");
  }
  void Put(const std::string& subject, const std::string& note) {
    ASSERT_THAT(
        Parts(*vault_).subjects().PutFields("acme", subject, {{"note", {"generic", note, ""}}}),
        IsOk());
  }
  absl::StatusOr<BackupSummary> Backup(const std::string& name) {
    return CreateBackup(Parts(*vault_).keys(), Parts(*vault_).kv(), dir_.Sub(name));
  }
  // Opens a restored folder with the original's dev unseal key.
  std::unique_ptr<Vault> OpenRestored(const std::string& folder) {
    fs::copy_file(vault_->DevKeyFilePath(), folder + "/unseal.key");
    std::unique_ptr<Vault> v = testing::OpenVault(folder, &clock_);
    EXPECT_THAT(v->InitializeAndUnsealDev(), IsOk());
    return v;
  }
  std::string NoteOf(Vault& v, const std::string& subject) {
    absl::StatusOr<std::map<std::string, RevealedField>> fields =
        Parts(v).subjects().ReadFields("acme", subject, {}, RevealLevel::kPlain);
    if (!fields.ok()) return std::string(fields.status().message());
    return fields->at("note").value;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(BackupTest, CreatedBackupVerifies) {
  absl::StatusOr<BackupSummary> made = Backup("bk");
  ASSERT_THAT(made, IsOk());
  EXPECT_EQ(made->path, dir_.Sub("bk"));
  EXPECT_GT(made->files, 1u);  // the keyring and the database's files
  EXPECT_GT(made->bytes, 0u);
  EXPECT_EQ(made->ledger_entries, 0u);
  EXPECT_TRUE(fs::exists(dir_.Sub("bk/manifest")));
  EXPECT_TRUE(fs::exists(dir_.Sub("bk/keyring")));
  EXPECT_TRUE(fs::is_directory(dir_.Sub("bk/db")));
  absl::StatusOr<BackupSummary> verified = VerifyBackup(dir_.Sub("bk"));
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->files, made->files);
  EXPECT_EQ(verified->bytes, made->bytes);
  // Pinned to the vault's own signing key, too.
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk"), *Parts(*vault_).keys().SigningPublicKey()), IsOk());
  // The backup holds ciphertext only.
  EXPECT_THAT(testing::FindInFiles(dir_.Sub("bk"), {"first-owl", "second-owl"}),
              ::testing::IsEmpty());
}

TEST_F(BackupTest, RefusedIntoAnExistingFolderOrWhileSealed) {
  fs::create_directory(dir_.Sub("taken"));
  EXPECT_THAT(Backup("taken"), StatusIs(absl::StatusCode::kFailedPrecondition));
  Parts(*vault_).keys().Seal();
  EXPECT_TRUE(IsSealed(Backup("bk").status()));
  EXPECT_FALSE(fs::exists(dir_.Sub("bk")));
}

TEST_F(BackupTest, AnotherVaultsKeyDoesNotVerifyIt) {
  ASSERT_THAT(Backup("bk"), IsOk());
  testing::TempDir other_dir;
  std::unique_ptr<Vault> other = testing::OpenReadyVault(other_dir.path(), &clock_, {});
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk"), *Parts(*other).keys().SigningPublicKey()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("signature")));
}

TEST_F(BackupTest, TamperedManifestIsDetected) {
  ASSERT_THAT(Backup("bk"), IsOk());
  const std::string manifest = dir_.Sub("bk/manifest");
  FlipByte(manifest, ReadAll(manifest).size() / 2);
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk")), StatusIs(absl::StatusCode::kDataLoss));
  // Nor can it be restored.
  EXPECT_THAT(RestoreBackup(dir_.Sub("bk"), dir_.Sub("restored"), {}, absl::Now()),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
}

TEST_F(BackupTest, TamperedKeyringIsDetected) {
  ASSERT_THAT(Backup("bk"), IsOk());
  const std::string keyring = dir_.Sub("bk/keyring");
  FlipByte(keyring, ReadAll(keyring).size() - 1);
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk")), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(BackupTest, ChangedAddedOrMissingDatabaseFilesAreDetected) {
  ASSERT_THAT(Backup("bk"), IsOk());
  // A file the checkpoint copied (table files may be hard links shared with
  // the live database, which this test must not touch).
  std::string victim;
  for (const std::string& f : testing::ListFiles(dir_.Sub("bk/db"))) {
    if (f.find("/OPTIONS-") != std::string::npos) victim = f;
  }
  ASSERT_FALSE(victim.empty());
  const std::string original = ReadAll(victim);

  FlipByte(victim, original.size() / 2);
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("differs from the manifest")));
  WriteAll(victim, original);
  ASSERT_THAT(VerifyBackup(dir_.Sub("bk")), IsOk());  // control: put back, verifies again

  WriteAll(dir_.Sub("bk/db/extra"), "x");
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not in the manifest")));
  fs::remove(dir_.Sub("bk/db/extra"));

  fs::remove(victim);
  EXPECT_THAT(VerifyBackup(dir_.Sub("bk")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("missing")));
}

TEST_F(BackupTest, RestoreIntoANewFolderServesTheBackedUpData) {
  ASSERT_THAT(Backup("bk"), IsOk());
  Put("s-3", "after-the-backup");
  absl::StatusOr<RestoreReport> report =
      RestoreBackup(dir_.Sub("bk"), dir_.Sub("restored"), {}, absl::Now());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->receipts, 0u);
  EXPECT_FALSE(report->live_state_applied);
  EXPECT_FALSE(fs::exists(dir_.Sub("restored.partial")));
  std::unique_ptr<Vault> restored = OpenRestored(dir_.Sub("restored"));
  EXPECT_EQ(NoteOf(*restored, "s-1"), "first-owl");
  EXPECT_EQ(NoteOf(*restored, "s-2"), "second-owl");
  EXPECT_THAT(Parts(*restored).subjects().ReadFields("acme", "s-3", {}, RevealLevel::kPlain),
              StatusIs(absl::StatusCode::kNotFound));
  // A second restore onto the same folder is refused.
  EXPECT_THAT(RestoreBackup(dir_.Sub("bk"), dir_.Sub("restored"), {}, absl::Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(BackupTest, RestoreReplaysErasuresMadeAfterTheBackup) {
  ASSERT_THAT(Backup("bk"), IsOk());
  ASSERT_THAT(
      Parts(*vault_).lifecycle().RequestErasure("acme", "s-1", absl::ZeroDuration(), "p_test", {}),
      IsOk());
  absl::StatusOr<std::vector<records::ErasureRecord>> done = ListDoneErasures(Parts(*vault_).kv());
  ASSERT_THAT(done, IsOk());
  ASSERT_EQ(done->size(), 1u);
  absl::StatusOr<RestoreReport> report =
      RestoreBackup(dir_.Sub("bk"), dir_.Sub("restored"), {(*done)[0].receipt()}, absl::Now());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->replayed_subjects, 1u);
  std::unique_ptr<Vault> restored = OpenRestored(dir_.Sub("restored"));
  EXPECT_TRUE(IsGone(
      Parts(*restored).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
  EXPECT_EQ(NoteOf(*restored, "s-2"), "second-owl");
}

TEST_F(BackupTest, ReceiptOfAnotherVaultStopsTheRestoreBeforeAnythingIsWritten) {
  ASSERT_THAT(Backup("bk"), IsOk());
  testing::TempDir other_dir;
  std::unique_ptr<Vault> other = testing::OpenReadyVault(other_dir.path(), &clock_, {"acme"});
  ASSERT_THAT(Parts(*other).subjects().PutFields("acme", "s-1", {{"note", {"generic", "x", ""}}}),
              IsOk());
  absl::StatusOr<records::ErasureRecord> foreign =
      Parts(*other).lifecycle().RequestErasure("acme", "s-1", absl::ZeroDuration(), "p_test", {});
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(
      RestoreBackup(dir_.Sub("bk"), dir_.Sub("restored"), {foreign->receipt()}, absl::Now()),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
  EXPECT_FALSE(fs::exists(dir_.Sub("restored.partial")));
}

}  // namespace
}  // namespace vault
