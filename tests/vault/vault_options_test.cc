// No options struct defaults to the real clock or random source: opening
// without one is refused (INVALID_ARGUMENT), never silently real time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "vault/vault.h"

namespace vault {
namespace {

using testing::StatusIs;

TEST(VaultOptionsTest, ClockAndRandomSourceHaveNoDefault) {
  EXPECT_EQ(VaultOptions{}.clock, nullptr);
  EXPECT_EQ(VaultOptions{}.random, nullptr);
  EXPECT_EQ(KeyHierarchyOptions{}.clock, nullptr);
  EXPECT_EQ(KeyHierarchyOptions{}.random, nullptr);
  EXPECT_EQ(SubjectStoreOptions{}.clock, nullptr);
  EXPECT_EQ(SubjectStoreOptions{}.random, nullptr);
  EXPECT_EQ(TokenServiceOptions{}.clock, nullptr);
  EXPECT_EQ(TokenServiceOptions{}.random, nullptr);
  EXPECT_EQ(LifecycleOptions{}.clock, nullptr);
  EXPECT_EQ(LifecycleOptions{}.random, nullptr);
  EXPECT_EQ(RewrapJobsOptions{}.clock, nullptr);
  EXPECT_EQ(RewrapJobsOptions{}.random, nullptr);
  EXPECT_EQ(DataAccessOptions{}.clock, nullptr);
}

TEST(VaultOptionsTest, OpenRefusesAMissingClockOrRandomSource) {
  testing::TempDir dir;
  testing::FakeClock clock;
  VaultOptions no_random;
  no_random.data_dir = dir.Sub("a");
  no_random.clock = &clock;
  EXPECT_THAT(Vault::Open(std::move(no_random)), StatusIs(absl::StatusCode::kInvalidArgument));
  VaultOptions no_clock;
  no_clock.data_dir = dir.Sub("b");
  no_clock.random = &crypto::SystemRandom::Instance();
  EXPECT_THAT(Vault::Open(std::move(no_clock)), StatusIs(absl::StatusCode::kInvalidArgument));

  KeyHierarchyOptions keys;
  keys.dir = dir.path();
  keys.clock = &clock;
  EXPECT_THAT(KeyHierarchy::Open(keys), StatusIs(absl::StatusCode::kInvalidArgument));
  keys.random = &crypto::SystemRandom::Instance();
  EXPECT_THAT(KeyHierarchy::Open(keys), testing::IsOk());  // control
}

TEST(VaultOptionsTest, OpenRefusesANonPositiveShredEpochInterval) {
  testing::TempDir dir;
  testing::FakeClock clock;
  EXPECT_EQ(VaultOptions{}.shred_epoch_interval, absl::Hours(24));  // daily by default
  for (absl::Duration interval : {absl::ZeroDuration(), absl::Seconds(-1)}) {
    VaultOptions options;
    options.data_dir = dir.Sub("v");
    options.clock = &clock;
    options.random = &crypto::SystemRandom::Instance();
    options.shred_epoch_interval = interval;
    EXPECT_THAT(Vault::Open(std::move(options)), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace vault
