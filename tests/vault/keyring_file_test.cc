// Tests for KeyringFile: round trip, newest generation wins, torn slots are
// survived, and a Store leaves no bytes of the previous keyring in any slot.
#include "vault/keyring_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/testing/temp_dir.h"

namespace vault {
namespace {

records::Keyring MakeKeyring(uint64_t generation, const std::string& marker) {
  records::Keyring k;
  k.set_generation(generation);
  k.set_wrapped_root_key(marker);
  return k;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Corrupt(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put('\x7f');
}

TEST(KeyringFileTest, EmptyFolderLoadsNothing) {
  testing::TempDir dir;
  absl::StatusOr<std::optional<records::Keyring>> loaded = KeyringFile(dir.path()).Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(KeyringFileTest, StoreThenLoadRoundTrips) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "first")).ok());
  ASSERT_TRUE(file.Store(MakeKeyring(2, "second")).ok());
  absl::StatusOr<std::optional<records::Keyring>> loaded = file.Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->generation(), 2u);
  EXPECT_EQ((*loaded)->wrapped_root_key(), "second");
}

TEST(KeyringFileTest, GenerationMustIncrease) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  ASSERT_TRUE(file.Store(MakeKeyring(5, "a")).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(file.Store(MakeKeyring(5, "b"))));
}

TEST(KeyringFileTest, OldBytesAreOverwrittenInBothSlots) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  const std::string old_secret(300, 'Q');  // stands for a KEK about to be destroyed
  ASSERT_TRUE(file.Store(MakeKeyring(1, old_secret)).ok());
  EXPECT_NE(ReadAll(file.SlotPath(0)).find(old_secret), std::string::npos);
  ASSERT_TRUE(file.Store(MakeKeyring(2, "short")).ok());
  for (int slot = 0; slot < 2; ++slot) {
    std::string bytes = ReadAll(file.SlotPath(slot));
    EXPECT_EQ(bytes.find("QQQQ"), std::string::npos) << "slot " << slot;
  }
}

TEST(KeyringFileTest, TornSlotFallsBackToTheOther) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "one")).ok());
  ASSERT_TRUE(file.Store(MakeKeyring(2, "two")).ok());
  Corrupt(file.SlotPath(0), 30);
  absl::StatusOr<std::optional<records::Keyring>> loaded = file.Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->wrapped_root_key(), "two");
  // The next Store writes the broken slot first and keeps the good one intact.
  ASSERT_TRUE(file.Store(MakeKeyring(3, "three")).ok());
  EXPECT_EQ((*file.Load())->wrapped_root_key(), "three");
}

TEST(KeyringFileTest, EmptySlotFileLeftByACrashCountsAsAbsent) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  std::ofstream(file.SlotPath(0)).close();  // created, never written
  absl::StatusOr<std::optional<records::Keyring>> loaded = file.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->has_value());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "one")).ok());
  EXPECT_EQ((*file.Load())->wrapped_root_key(), "one");
  EXPECT_FALSE(file.second_slot_stale());
}

TEST(KeyringFileTest, BothSlotsCorruptIsDataLoss) {
  testing::TempDir dir;
  KeyringFile file(dir.path());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "one")).ok());
  Corrupt(file.SlotPath(0), 25);
  Corrupt(file.SlotPath(1), 25);
  EXPECT_TRUE(absl::IsDataLoss(file.Load().status()));
}

}  // namespace
}  // namespace vault
