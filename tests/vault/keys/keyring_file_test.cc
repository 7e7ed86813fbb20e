// Tests for KeyringFile: round trip, newest generation wins, torn slots are
// survived, and a Store leaves no bytes of the previous keyring in any slot.
#include "vault/keys/keyring_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/testing/fault_env.h"
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
  absl::StatusOr<std::optional<records::Keyring>> loaded =
      KeyringFile(dir.path(), &base::Env::Posix()).Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(KeyringFileTest, StoreThenLoadRoundTrips) {
  testing::TempDir dir;
  KeyringFile file(dir.path(), &base::Env::Posix());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "first")).ok());
  ASSERT_TRUE(file.Store(MakeKeyring(2, "second")).ok());
  absl::StatusOr<std::optional<records::Keyring>> loaded = file.Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->generation(), 2u);
  EXPECT_EQ((*loaded)->wrapped_root_key(), "second");
}

TEST(KeyringFileTest, GenerationMustIncrease) {
  testing::TempDir dir;
  KeyringFile file(dir.path(), &base::Env::Posix());
  ASSERT_TRUE(file.Store(MakeKeyring(5, "a")).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(file.Store(MakeKeyring(5, "b"))));
}

TEST(KeyringFileTest, OldBytesAreOverwrittenInBothSlots) {
  testing::TempDir dir;
  KeyringFile file(dir.path(), &base::Env::Posix());
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
  KeyringFile file(dir.path(), &base::Env::Posix());
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
  KeyringFile file(dir.path(), &base::Env::Posix());
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
  KeyringFile file(dir.path(), &base::Env::Posix());
  ASSERT_TRUE(file.Store(MakeKeyring(1, "one")).ok());
  Corrupt(file.SlotPath(0), 25);
  Corrupt(file.SlotPath(1), 25);
  EXPECT_TRUE(absl::IsDataLoss(file.Load().status()));
}

}  // namespace
}  // namespace vault

// The same file written under injected faults (tests/testing/fault_env.h):
// the in-place overwrite of the slots is the shredding guarantee, so every
// fault must either leave a complete newer keyring or report an error with
// the older one still loadable.
namespace vault {
namespace {

TEST(KeyringFileFaultTest, ShortWritesStillWriteWholeSlots) {
  testing::TempDir dir;
  testing::FaultInjectingEnv env;
  env.ShortWrites(7);
  KeyringFile file(dir.path(), &env);
  const std::string old_secret(300, 'Q');
  ASSERT_TRUE(file.Store(MakeKeyring(1, old_secret)).ok());
  ASSERT_TRUE(file.Store(MakeKeyring(2, "short")).ok());
  EXPECT_FALSE(file.second_slot_stale());
  absl::StatusOr<std::optional<records::Keyring>> loaded =
      KeyringFile(dir.path(), &base::Env::Posix()).Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->wrapped_root_key(), "short");
  for (int slot = 0; slot < 2; ++slot) {
    EXPECT_EQ(ReadAll(file.SlotPath(slot)).find("QQQQ"), std::string::npos) << "slot " << slot;
  }
}

TEST(KeyringFileFaultTest, FailedSyncOfTheFirstSlotIsAnErrorAndTheOtherSlotKeepsTheOldKeyring) {
  testing::TempDir dir;
  testing::FaultInjectingEnv env;
  KeyringFile file(dir.path(), &env);
  ASSERT_TRUE(file.Store(MakeKeyring(1, "one")).ok());
  // Slot 0 holds generation 1 in both slots now; the next Store writes the
  // slot not holding the newest first.
  const std::string before0 = ReadAll(file.SlotPath(0)), before1 = ReadAll(file.SlotPath(1));
  env.FailSync(1);
  absl::Status s = file.Store(MakeKeyring(2, "two"));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_NE(s.message().find("fsync slot"), std::string::npos) << s;
  // Exactly one slot was touched; the other still holds generation 1 whole.
  const bool slot0_same = ReadAll(file.SlotPath(0)) == before0;
  const bool slot1_same = ReadAll(file.SlotPath(1)) == before1;
  EXPECT_NE(slot0_same, slot1_same);
  // A retry without the fault completes both slots.
  ASSERT_TRUE(file.Store(MakeKeyring(3, "three")).ok());
  EXPECT_EQ((**file.Load()).wrapped_root_key(), "three");
}

TEST(KeyringFileFaultTest, FailedSyncOfTheSecondSlotIsReportedAsStaleAndRepairedNextTime) {
  testing::TempDir dir;
  testing::FaultInjectingEnv env;
  KeyringFile file(dir.path(), &env);
  const std::string old_secret(300, 'Q');
  ASSERT_TRUE(file.Store(MakeKeyring(1, old_secret)).ok());
  env.FailSync(2);
  ASSERT_TRUE(file.Store(MakeKeyring(2, "two")).ok());  // durable in the first slot
  EXPECT_TRUE(file.second_slot_stale());
  EXPECT_EQ((**file.Load()).wrapped_root_key(), "two");
  ASSERT_TRUE(file.Store(MakeKeyring(3, "three")).ok());
  EXPECT_FALSE(file.second_slot_stale());
  for (int slot = 0; slot < 2; ++slot) {
    EXPECT_EQ(ReadAll(file.SlotPath(slot)).find("QQQQ"), std::string::npos) << "slot " << slot;
  }
}

TEST(KeyringFileFaultTest, WriteFailingPartWayLeavesTheOlderKeyringLoadable) {
  testing::TempDir dir;
  testing::FaultInjectingEnv env;
  KeyringFile file(dir.path(), &env);
  ASSERT_TRUE(file.Store(MakeKeyring(1, std::string(500, 'a'))).ok());
  ASSERT_TRUE(file.Store(MakeKeyring(2, std::string(500, 'b'))).ok());
  for (size_t cut : {0u, 1u, 20u, 100u, 519u, 4000u}) {
    testing::FaultInjectingEnv faulty;
    faulty.FailWritesAfter(cut);
    KeyringFile torn(dir.path(), &faulty);
    absl::Status s = torn.Store(MakeKeyring(3 + cut, std::string(500, 'c')));
    EXPECT_TRUE(absl::IsUnavailable(s)) << "cut " << cut << ": " << s;
    absl::StatusOr<std::optional<records::Keyring>> loaded =
        KeyringFile(dir.path(), &base::Env::Posix()).Load();
    ASSERT_TRUE(loaded.ok() && loaded->has_value()) << "cut " << cut;
    if (cut < 500) {  // the new keyring is not all there: the older one wins
      EXPECT_EQ((*loaded)->wrapped_root_key(), std::string(500, 'b')) << "cut " << cut;
    } else {  // only padding missing: either whole keyring, never a mix
      EXPECT_TRUE((*loaded)->wrapped_root_key() == std::string(500, 'b') ||
                  (*loaded)->wrapped_root_key() == std::string(500, 'c'))
          << "cut " << cut;
    }
  }
}

}  // namespace
}  // namespace vault
