// Issue #18 (dashboard and alerts): the gauges for disk space and the
// subject-key cache in a real scrape, against statvfs and the cache's use.
#include <sys/statvfs.h>

#include <string>

#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

// The value of an unlabelled sample in a Prometheus text scrape; -1 when
// absent.
double Sample(const std::string& scrape, const std::string& name) {
  const std::string at = "\n" + name + " ";
  const size_t pos = scrape.find(at);
  if (pos == std::string::npos) return -1;
  return std::stod(scrape.substr(pos + at.size()));
}

TEST_P(VaultdHttpTest, MetricsShowFreeDiskAndTheKeyCacheFill) {
  std::string scrape = Call("GET", "/metrics").body;
  EXPECT_EQ(Sample(scrape, "vaultd_key_cache_entries"), 0) << scrape;
  EXPECT_EQ(Sample(scrape, "vaultd_key_cache_capacity"), 100000);  // VaultOptions' default
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(data_.c_str(), &fs), 0);
  const double total = static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize);
  const double free = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
  EXPECT_EQ(Sample(scrape, "vaultd_storage_total_bytes"), total);
  const double scraped_free = Sample(scrape, "vaultd_storage_free_bytes");
  EXPECT_GT(scraped_free, 0);
  EXPECT_LE(scraped_free, total);
  // Other writers share the disk: close, not equal.
  EXPECT_NEAR(scraped_free, free, 256.0 * 1024 * 1024);

  // Two subjects written, one read: their keys are in the cache (each
  // subject has a data key and an audit key, subject_pseudonyms.h).
  Provision();
  ProvisionDpoAndTwoSubjects();
  ASSERT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-1?reveal=masked", "", support_key_, "support")
                .status,
            200);
  scrape = Call("GET", "/metrics").body;
  const double cached = Sample(scrape, "vaultd_key_cache_entries");
  EXPECT_GE(cached, 1) << scrape;
  EXPECT_LE(cached, 4);
  // A seal empties the cache.
  ASSERT_EQ(Call("POST", "/v1/sys/seal", "", root_key_).status, 204);
  EXPECT_EQ(Sample(Call("GET", "/metrics").body, "vaultd_key_cache_entries"), 0);
}

}  // namespace
}  // namespace vault::testing
