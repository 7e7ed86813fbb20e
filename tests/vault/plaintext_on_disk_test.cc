// Security property: no plaintext personal data on disk. Thousands of known
// values are written through the subject store into a real RocksDB folder;
// every byte of every file in the data folder (WAL, SST, MANIFEST, OPTIONS,
// LOG, keyring, key file) is then searched for the values as given and as
// normalised, while the database is open (WAL only) and after it is closed.
#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/model/data_types.h"

using vault::internal::Parts;

namespace vault {
namespace {

std::string Letters(int i) {
  std::string s;
  for (int k = 0; k < 4; ++k) {
    s.push_back(static_cast<char>('a' + i % 26));
    i /= 26;
  }
  return s;
}

std::string Digits(int i, int width) {
  std::string s = std::to_string(i);
  return std::string(static_cast<size_t>(width) - s.size(), '0') + s;
}

struct Written {
  std::vector<std::string> needles;  // raw and normalised forms
};

Written WriteProfiles(Vault& v, int count) {
  Written w;
  for (int i = 0; i < count; ++i) {
    std::string card15 = "4" + Digits(i, 14);
    std::string card = card15 + LuhnCheckDigit(card15);
    std::string spaced_card = card.substr(0, 4) + " " + card.substr(4, 4) + " " +
                              card.substr(8, 4) + " " + card.substr(12);
    std::string national = "139" + Digits(i, 8);
    std::string phone_raw =
        "+86 " + national.substr(0, 3) + " " + national.substr(3, 4) + " " + national.substr(7);
    std::string name = "Quorvath Ximena " + Letters(i);
    std::string email = "ximena.quorvath" + std::to_string(i) + "@example.org";
    std::string address = "No. " + std::to_string(i) + " Quietwater Lane, Springfield";
    std::string note = "secret-note-" + std::to_string(i) + "-zebra";
    std::map<std::string, FieldInput> fields = {
        {"card", {"bank_card", spaced_card, ""}}, {"mobile", {"phone", phone_raw, ""}},
        {"name", {"person_name", name, ""}},      {"email", {"email", email, ""}},
        {"home", {"address", address, ""}},       {"note", {"generic", note, ""}},
    };
    absl::Status s =
        Parts(v).subjects().PutFields("acme", "subject-" + std::to_string(i), fields).status();
    EXPECT_TRUE(s.ok()) << s;
    for (const std::string& n :
         {card, spaced_card, "+86" + national, phone_raw, name, email, address, note}) {
      w.needles.push_back(n);
    }
  }
  return w;
}

TEST(PlaintextOnDiskTest, NoWrittenValueAppearsAnywhereInTheDataFolder) {
  testing::TempDir dir;
  testing::FakeClock clock;
  Written written;
  {
    std::unique_ptr<Vault> v = testing::OpenReadyVault(dir.path(), &clock, {"acme"});
    written = WriteProfiles(*v, 2000);
    ASSERT_EQ(written.needles.size(), 16000u);
    // Sanity: the values are really there, readable through the vault.
    auto back =
        Parts(*v).subjects().ReadFields("acme", "subject-1999", {"note"}, RevealLevel::kPlain);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->at("note").value, "secret-note-1999-zebra");
    // While open: the WAL holds every write.
    std::vector<std::string> found = testing::FindInFiles(dir.path(), written.needles);
    EXPECT_TRUE(found.empty()) << found.size() << " found, first: " << found.front();
    ASSERT_TRUE(Parts(*v).kv().Flush().ok());
  }
  // After close: memtables flushed into SST files.
  EXPECT_GE(testing::ListFiles(dir.path()).size(), 5u);
  std::vector<std::string> found = testing::FindInFiles(dir.path(), written.needles);
  EXPECT_TRUE(found.empty()) << found.size() << " found, first: " << found.front();
}

// The scanner itself must be able to fail: a value stored in clear is found,
// both in the WAL and, after flush and close, in the table files.
TEST(PlaintextOnDiskTest, ScannerFindsAValueStoredInClear) {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Vault> v = testing::OpenReadyVault(dir.path(), &clock, {"acme"});
  storage::WriteBatch b;
  b.Put(storage::Table::kMeta, "probe", "secret-note-42-zebra");
  ASSERT_TRUE(Parts(*v).kv().Write(b).ok());
  EXPECT_FALSE(testing::FindInFiles(dir.path(), {"secret-note-42-zebra"}).empty());
  ASSERT_TRUE(Parts(*v).kv().Flush().ok());
  v.reset();
  std::vector<std::string> found = testing::FindInFiles(dir.path(), {"secret-note-42-zebra"});
  bool in_table_file = false;
  for (const std::string& f : found) in_table_file |= f.find(".sst") != std::string::npos;
  EXPECT_TRUE(in_table_file);
}

}  // namespace
}  // namespace vault
