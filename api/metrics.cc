// Prometheus text rendering.
#include "api/metrics.h"

#include <cstdio>
#include <sstream>
#include <tuple>

namespace vault::api {
namespace {

// Prometheus sample values: 15 significant digits, so Unix timestamps keep
// their milliseconds (the stream default, 6 digits, would round them to
// hours).
std::string Value(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = requests_[{method, route, status}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::Add(const std::string& counter, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_[counter] += n;
}

void Metrics::SetGauge(const std::string& gauge, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_[gauge] = value;
}

void Metrics::AddToGauge(const std::string& gauge, double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_[gauge] += delta;
}

std::string Metrics::Render(const std::map<std::string, double>& scraped) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, double> gauges = gauges_;
  for (const auto& [name, value] : scraped) gauges[name] = value;
  out << "# HELP vaultd_http_requests_total HTTP requests by route and status.\n"
      << "# TYPE vaultd_http_requests_total counter\n";
  for (const auto& [key, h] : requests_) {
    const auto& [method, route, status] = key;
    out << "vaultd_http_requests_total{method=\"" << method << "\",route=\"" << route
        << "\",status=\"" << status << "\"} " << h.count << "\n";
  }
  out << "# HELP vaultd_http_request_duration_seconds Request latency.\n"
      << "# TYPE vaultd_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : requests_) {
    const auto& [method, route, status] = key;
    const std::string labels = "method=\"" + method + "\",route=\"" + route + "\",status=\"" +
                               std::to_string(status) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out << "vaultd_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBuckets[i]
          << "\"} " << h.buckets[i] << "\n";
    }
    out << "vaultd_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count
        << "\n";
    out << "vaultd_http_request_duration_seconds_sum{" << labels << "} " << Value(h.sum) << "\n";
    out << "vaultd_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
  }
  for (const auto& [name, value] : counters_) {
    out << "# TYPE vaultd_" << name << "_total counter\n"
        << "vaultd_" << name << "_total " << value << "\n";
  }
  for (const auto& [name, value] : gauges) {
    out << "# TYPE vaultd_" << name << " gauge\n"
        << "vaultd_" << name << " " << Value(value) << "\n";
  }
  return out.str();
}

std::string Metrics::RenderStorageErrors(uint64_t no_space, uint64_t io_error) {
  std::ostringstream out;
  out << "# HELP vaultd_storage_errors_total Failed storage operations by kind.\n"
      << "# TYPE vaultd_storage_errors_total counter\n"
      << "vaultd_storage_errors_total{kind=\"no_space\"} " << no_space << "\n"
      << "vaultd_storage_errors_total{kind=\"io_error\"} " << io_error << "\n";
  return out.str();
}

std::string Metrics::RenderCounter(const std::string& name, const std::string& help,
                                   uint64_t value) {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n"
      << "# TYPE " << name << " counter\n"
      << name << " " << value << "\n";
  return out.str();
}

}  // namespace vault::api
