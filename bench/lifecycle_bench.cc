// Erasure latency and shred-epoch time on durable storage (issue 6).
// Usage: lifecycle_bench [subjects=1000000] [erasures=1000] [writer_threads=8]
// Creates a vault in $TMPDIR, writes `subjects` subjects (two fields each)
// through the subject store, erases `erasures` of them one by one (grace 0:
// the durable shred batch) measuring each, times the compaction the
// scheduler then runs, and closes a shred epoch (KEK rotation, rewrap of
// every surviving DEK, destruction of the old KEK).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "vault/internal/vault_parts.h"
#include "vault/vault.h"

using vault::internal::Parts;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int subjects = argc > 1 ? std::atoi(argv[1]) : 1000000;
  const int erasures = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  const char* base = std::getenv("TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/vaultd-lifecycle-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return 1;

  vault::VaultOptions options;
  options.data_dir = dir;
  options.clock = &vault::SystemClock::Instance();
  options.random = &vault::crypto::SystemRandom::Instance();
  auto opened = vault::Vault::Open(std::move(options));
  if (!opened.ok() || !(*opened)->InitializeAndUnsealDev().ok() ||
      !Parts(*(*opened)).keys().CreateTenant("acme", "").ok()) {
    std::fprintf(stderr, "cannot set up the vault\n");
    return 1;
  }
  vault::Vault& v = **opened;

  auto start = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&] {
      for (int i = next++; i < subjects && !failed; i = next++) {
        auto r = Parts(v).subjects().PutFields(
            "acme", "s-" + std::to_string(i),
            {{"mobile", {"phone", "+86139" + std::to_string(10000000 + i % 89999999), ""}},
             {"note", {"generic", "note " + std::to_string(i), ""}}});
        if (!r.ok()) failed = true;
      }
    });
  }
  for (auto& w : writers) w.join();
  if (failed) {
    std::fprintf(stderr, "writing subjects failed\n");
    return 1;
  }
  std::printf("wrote %d subjects in %.1f s (%.0f subjects/s)\n", subjects, Seconds(start),
              subjects / Seconds(start));

  std::mt19937 rng(7);
  std::vector<int> victims(static_cast<size_t>(subjects));
  for (int i = 0; i < subjects; ++i) victims[static_cast<size_t>(i)] = i;
  std::shuffle(victims.begin(), victims.end(), rng);
  std::vector<double> latencies;
  for (int k = 0; k < erasures; ++k) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = Parts(v).lifecycle().RequestErasure(
        "acme", "s-" + std::to_string(victims[static_cast<size_t>(k)]), absl::ZeroDuration(),
        "bench", {});
    if (!r.ok()) {
      std::fprintf(stderr, "erasure failed: %s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    latencies.push_back(Seconds(t0) * 1000);
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[static_cast<size_t>(p * (latencies.size() - 1))]; };
  std::printf("erasure latency over %d erasures: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", erasures,
              pct(0.5), pct(0.99), latencies.back());

  start = std::chrono::steady_clock::now();
  if (!Parts(v).lifecycle().CompactShredded().ok()) return 1;
  std::printf("compaction after the erasures (what the scheduler runs): %.1f s\n", Seconds(start));

  start = std::chrono::steady_clock::now();
  auto rewrapped = Parts(v).lifecycle().CloseEpoch("acme");
  if (!rewrapped.ok()) {
    std::fprintf(stderr, "epoch failed: %s\n", std::string(rewrapped.status().message()).c_str());
    return 1;
  }
  std::printf("shred epoch: rewrapped %llu DEKs and destroyed the old KEK in %.1f s\n",
              static_cast<unsigned long long>(*rewrapped), Seconds(start));
  opened->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
