// Tests for the dev-mode unseal key file written through an Env: short
// writes still give a whole key; a failed write or fsync is a clear error
// and leaves no key file (and no temporary) behind, and the vault stays
// uninitialised.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/clock.h"
#include "crypto/random.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/temp_dir.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  std::unique_ptr<KeyHierarchy> Open() {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.env = &env_;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    return std::move(*KeyHierarchy::Open(options));
  }
  std::string KeyFile() const { return dir_.Sub("unseal.key"); }
  bool Exists(const std::string& path) const { return std::filesystem::exists(path); }

  testing::TempDir dir_;
  testing::FaultInjectingEnv env_;
  testing::FakeClock clock_;
};

TEST_F(KeyFileTest, ShortWritesStillWriteTheWholeKey) {
  env_.ShortWrites(3);
  std::unique_ptr<KeyHierarchy> keys = Open();
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  EXPECT_EQ(std::filesystem::file_size(KeyFile()), 65u);  // 64 hex digits and a newline
  struct stat st {};
  ASSERT_EQ(::stat(KeyFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
  EXPECT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
  EXPECT_FALSE(Exists(KeyFile() + ".tmp"));
}

TEST_F(KeyFileTest, FailedSyncIsAnErrorAndLeavesNoKeyFile) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  env_.FailSync(1);  // the key file's own fsync
  absl::StatusOr<std::string> root = keys->InitializeWithKeyFile(KeyFile());
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(absl::IsUnavailable(root.status())) << root.status();
  EXPECT_NE(root.status().message().find("unseal key file"), std::string::npos);
  EXPECT_FALSE(Exists(KeyFile()));
  EXPECT_FALSE(Exists(KeyFile() + ".tmp"));
  EXPECT_FALSE(keys->initialized());
  // The next attempt (the fault is gone) succeeds from scratch.
  ASSERT_TRUE(keys->InitializeWithKeyFile(KeyFile()).ok());
  EXPECT_TRUE(keys->UnsealWithKeyFile(KeyFile()).ok());
}

TEST_F(KeyFileTest, WriteFailingPartWayLeavesNoPartialKeyFile) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  env_.FailWritesAfter(20);  // a third of the key, then every write fails
  absl::StatusOr<std::string> root = keys->InitializeWithKeyFile(KeyFile());
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(absl::IsUnavailable(root.status())) << root.status();
  EXPECT_FALSE(Exists(KeyFile()));
  EXPECT_FALSE(Exists(KeyFile() + ".tmp"));
  EXPECT_FALSE(keys->initialized());
}

TEST_F(KeyFileTest, KeyringWriteFailureTakesTheNewKeyFileBack) {
  std::unique_ptr<KeyHierarchy> keys = Open();
  env_.FailSync(2);  // the key file syncs; the first keyring slot does not
  ASSERT_FALSE(keys->InitializeWithKeyFile(KeyFile()).ok());
  EXPECT_FALSE(Exists(KeyFile()));
  EXPECT_FALSE(keys->initialized());
}

}  // namespace
}  // namespace vault
