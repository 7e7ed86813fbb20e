// Tests for residency in the key hierarchy (#17 item 5): a hierarchy opened
// with a region serves only the tenants of that region and never unwraps the
// keys of another region's tenant, whatever the caller.
#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

class KeyHierarchyRegionTest : public ::testing::Test {
 protected:
  // The keyring holds tenant "cn-co" (residency cn), "eu-co" (eu) and
  // "nowhere" (no residency), made by a node without a region.
  void SetUp() override {
    std::unique_ptr<KeyHierarchy> keys = Open("");
    ASSERT_TRUE(keys->InitializeWithKeyFile(dir_.Sub("unseal.key")).ok());
    ASSERT_TRUE(keys->UnsealWithKeyFile(dir_.Sub("unseal.key")).ok());
    ASSERT_TRUE(keys->CreateTenant("cn-co", "cn").ok());
    ASSERT_TRUE(keys->CreateTenant("eu-co", "eu").ok());
    ASSERT_TRUE(keys->CreateTenant("nowhere", "").ok());
  }
  std::unique_ptr<KeyHierarchy> Open(std::string region) {
    KeyHierarchyOptions options;
    options.dir = dir_.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    options.region = std::move(region);
    return std::move(*KeyHierarchy::Open(options));
  }
  std::unique_ptr<KeyHierarchy> OpenUnsealed(std::string region) {
    std::unique_ptr<KeyHierarchy> keys = Open(std::move(region));
    EXPECT_TRUE(keys->UnsealWithKeyFile(dir_.Sub("unseal.key")).ok());
    return keys;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
};

TEST_F(KeyHierarchyRegionTest, OtherRegionsTenantKeysAreNeverUnwrapped) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  absl::Status refused = keys->GetKek("cn-co", 1).status();
  EXPECT_TRUE(absl::IsPermissionDenied(refused)) << refused;
  EXPECT_EQ(refused.message(),
            "tenant cn-co's data resides in region cn; this node serves region eu");
  EXPECT_TRUE(absl::IsPermissionDenied(keys->GetActiveKek("cn-co").status()));
  EXPECT_TRUE(
      absl::IsPermissionDenied(keys->GetTenantSubkey("cn-co", TenantSubkey::kToken).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(keys->GetTenant("cn-co").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(keys->RotateKek("cn-co").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(keys->EraseTenant("cn-co").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(keys->ListKeks("cn-co").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(keys->CheckRegion("cn-co")));
}

TEST_F(KeyHierarchyRegionTest, OwnRegionIsServed) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  EXPECT_TRUE(keys->GetKek("eu-co", 1).ok());
  EXPECT_TRUE(keys->GetTenantSubkey("eu-co", TenantSubkey::kToken).ok());
  EXPECT_TRUE(keys->CheckRegion("eu-co").ok());
  EXPECT_TRUE(keys->CheckRegion("unknown").ok());  // its calls answer NOT_FOUND
}

TEST_F(KeyHierarchyRegionTest, TenantWithoutResidencyIsNotServedByARegionalNode) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  absl::Status refused = keys->GetKek("nowhere", 1).status();
  EXPECT_TRUE(absl::IsPermissionDenied(refused));
  EXPECT_EQ(refused.message(), "tenant nowhere has no residency; this node serves only region eu");
}

TEST_F(KeyHierarchyRegionTest, WithoutRegionEveryTenantIsServed) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("");
  for (const char* tenant : {"cn-co", "eu-co", "nowhere"}) {
    EXPECT_TRUE(keys->GetKek(tenant, 1).ok()) << tenant;
  }
  EXPECT_EQ(keys->ListTenants()->size(), 3u);
}

TEST_F(KeyHierarchyRegionTest, ListTenantsShowsOnlyTheRegionsTenants) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  absl::StatusOr<std::vector<TenantInfo>> tenants = keys->ListTenants();
  ASSERT_TRUE(tenants.ok());
  ASSERT_EQ(tenants->size(), 1u);
  EXPECT_EQ((*tenants)[0].id, "eu-co");
}

TEST_F(KeyHierarchyRegionTest, CreateRefusesAnotherResidencyAndDefaultsToTheRegion) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  EXPECT_TRUE(absl::IsPermissionDenied(keys->CreateTenant("cn-2", "cn")));
  ASSERT_TRUE(keys->CreateTenant("plain", "").ok());
  EXPECT_EQ(keys->GetTenant("plain")->residency, "eu");
}

TEST_F(KeyHierarchyRegionTest, RootRotationRefusesToUnwrapAnotherRegionsKeys) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  absl::Status refused = keys->RotateRoot().status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  // Nothing changed: the keyring still opens every key on a node without a region.
  keys.reset();
  EXPECT_TRUE(OpenUnsealed("")->GetKek("cn-co", 1).ok());
}

TEST_F(KeyHierarchyRegionTest, ResidencyOfErasedTenantStaysKnownForReceipts) {
  std::unique_ptr<KeyHierarchy> keys = OpenUnsealed("eu");
  ASSERT_TRUE(keys->EraseTenant("eu-co").ok());
  EXPECT_EQ(*keys->Residency("eu-co"), "eu");
  EXPECT_TRUE(IsMissing(keys->Residency("unknown").status()));
}

}  // namespace
}  // namespace vault
