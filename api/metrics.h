// Metrics: request counts and latency histograms per route and status, and
// domain counters, rendered in Prometheus text format for GET /metrics.
// Thread-safety: all methods are safe for concurrent use (one mutex).
// Labels are route templates and status codes only: never values or tokens.
#ifndef VAULT_API_METRICS_H_
#define VAULT_API_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace vault::api {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};

  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  void Add(const std::string& counter, uint64_t n = 1);
  // Gauges kept here (e.g. by the server): set, or moved by a delta.
  void SetGauge(const std::string& gauge, double value);
  void AddToGauge(const std::string& gauge, double delta);
  // Gauges computed by the caller at scrape time: name -> value (they win
  // over kept gauges of the same name).
  std::string Render(const std::map<std::string, double>& gauges) const;
  // vaultd_storage_errors_total{kind="no_space"|"io_error"}: failed storage
  // operations since start (counted by the store).
  static std::string RenderStorageErrors(uint64_t no_space, uint64_t io_error);
  // One counter line set (HELP, TYPE, value) for a count kept elsewhere;
  // `name` is the full metric name, ending in _total.
  static std::string RenderCounter(const std::string& name, const std::string& help,
                                   uint64_t value);

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, Histogram> requests_;
  std::map<std::string, uint64_t> counters_;
  std::map<std::string, double> gauges_;
};

}  // namespace vault::api

#endif  // VAULT_API_METRICS_H_
