// Tests for the private-file helpers over an Env: whole-or-nothing writes,
// create-only writes, and the folder helpers backups use.
#include "base/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/testing/fault_env.h"
#include "tests/testing/temp_dir.h"

namespace vault {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(WritePrivateFileTest, ReplacesWholeWithOwnerOnlyMode) {
  testing::TempDir dir;
  const std::string path = dir.Sub("f");
  testing::FaultInjectingEnv env;
  env.ShortWrites(2);
  ASSERT_TRUE(WritePrivateFile(env, path, "old contents").ok());
  ASSERT_TRUE(WritePrivateFile(env, path, "new").ok());
  EXPECT_EQ(ReadAll(path), "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(WritePrivateFileTest, FailedWriteOrSyncKeepsTheOldFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("f");
  ASSERT_TRUE(WritePrivateFile(base::Env::Posix(), path, "old").ok());
  testing::FaultInjectingEnv sync_fails;
  sync_fails.FailSync(1);
  EXPECT_TRUE(absl::IsUnavailable(WritePrivateFile(sync_fails, path, "new contents")));
  testing::FaultInjectingEnv write_fails;
  write_fails.FailWritesAfter(4);
  EXPECT_TRUE(absl::IsUnavailable(WritePrivateFile(write_fails, path, "new contents")));
  EXPECT_EQ(ReadAll(path), "old");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(WritePrivateFileTest, CreateOnlyRefusesAnExistingFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("f");
  ASSERT_TRUE(WritePrivateFile(base::Env::Posix(), path, "first", IfExists::kFail).ok());
  EXPECT_TRUE(
      absl::IsAlreadyExists(WritePrivateFile(base::Env::Posix(), path, "second", IfExists::kFail)));
  EXPECT_EQ(ReadAll(path), "first");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FolderHelpersTest, CopySyncAndRemoveATree) {
  testing::TempDir dir;
  base::Env& env = base::Env::Posix();
  ASSERT_TRUE(PrepareDataDir(env, dir.Sub("a")).ok());
  ASSERT_TRUE(PrepareDataDir(env, dir.Sub("a/sub")).ok());
  ASSERT_TRUE(WritePrivateFile(env, dir.Sub("a/one"), "1").ok());
  ASSERT_TRUE(WritePrivateFile(env, dir.Sub("a/sub/two"), std::string(200000, 'x')).ok());
  ASSERT_TRUE(CopyTree(env, dir.Sub("a"), dir.Sub("b")).ok());
  EXPECT_EQ(ReadAll(dir.Sub("b/one")), "1");
  EXPECT_EQ(ReadAll(dir.Sub("b/sub/two")), std::string(200000, 'x'));
  EXPECT_TRUE(SyncTree(env, dir.Sub("b")).ok());
  ASSERT_TRUE(RemoveTree(env, dir.Sub("b")).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("b")));
  EXPECT_TRUE(RemoveTree(env, dir.Sub("b")).ok());  // nothing there: fine
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("a/sub/two")));
}

TEST(FolderHelpersTest, DataDirOpenToOthersIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(PrepareDataDir(base::Env::Posix(), dir.Sub("d")).ok());
  ASSERT_EQ(::chmod(dir.Sub("d").c_str(), 0750), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(PrepareDataDir(base::Env::Posix(), dir.Sub("d"))));
}

TEST(ParentDirTest, NamesTheFolder) {
  EXPECT_EQ(ParentDir("a/b/c"), "a/b");
  EXPECT_EQ(ParentDir("c"), ".");
  EXPECT_EQ(ParentDir("/c"), "/");
}

}  // namespace
}  // namespace vault
