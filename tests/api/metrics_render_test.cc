// Tests for the Prometheus text of Metrics: sample values keep enough digits
// for Unix timestamps (alerts subtract them from time()).
#include <gtest/gtest.h>

#include <string>

#include "api/metrics.h"

namespace vault::api {
namespace {

TEST(MetricsRenderTest, TimestampsKeepTheirMilliseconds) {
  Metrics m;
  m.SetGauge("scheduler_last_run_timestamp_seconds", 1796283422.125);
  const std::string text = m.Render({{"locked_memory_limit_bytes", 16777216}, {"sealed", 0}});
  EXPECT_NE(text.find("vaultd_scheduler_last_run_timestamp_seconds 1796283422.125\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vaultd_locked_memory_limit_bytes 16777216\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vaultd_sealed 0\n"), std::string::npos) << text;
}

TEST(MetricsRenderTest, CounterLinesHaveTheirType) {
  EXPECT_EQ(Metrics::RenderCounter("vaultd_audit_write_failures_total", "Refusals.", 3),
            "# HELP vaultd_audit_write_failures_total Refusals.\n"
            "# TYPE vaultd_audit_write_failures_total counter\n"
            "vaultd_audit_write_failures_total 3\n");
}

}  // namespace
}  // namespace vault::api
