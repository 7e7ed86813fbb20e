// Scale (issue 8): tokenize N values (default 10,000,000) in batches through
// the token service on durable storage, and measure tokenize and detokenize
// throughput at 100,000 tokens and again at N, with the process's resident
// memory and the data folder's size per token.
// Usage: scale_bench [tokens=10000000] [threads=8] [seconds per measure=10]
//                    [storage=default|legacy] [block cache MiB]
// Data folder in $TMPDIR (removed at the end). The DEK cache is the vault's
// default; the RocksDB settings are VaultOptions::rocks (RocksTuning's
// defaults) or, with `legacy`, the settings before they were configurable
// (64 MiB block cache, index and filters outside it, one-level index, no
// data-block hash index); a block cache size given last overrides either.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vault/internal/vault_parts.h"
#include "vault/vault.h"

using vault::internal::Parts;

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

uint64_t FolderBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

std::string Phone(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+8613%09llu", static_cast<unsigned long long>(i % 1000000000));
  return buf;
}

constexpr int kBatch = 100;

// One run: the vault, the callers' shared counters and the token sample.
struct ScaleRun {
  vault::Vault& v;
  std::string dir;
  int threads;
  int seconds;
  // Every 64th token is kept for the detokenize measurement (a uniform
  // sample over everything loaded so far; ~40 bytes each).
  std::mutex sample_mu;
  std::vector<std::string> sample;
  std::atomic<uint64_t> next{0};

  bool LoadUntil(uint64_t count) {
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        std::vector<vault::TokenizeItem> items(kBatch);
        for (uint64_t first = next.fetch_add(kBatch); first < count && !failed;
             first = next.fetch_add(kBatch)) {
          for (int k = 0; k < kBatch; ++k) items[k] = {"phone", Phone(first + k), "", "", 0};
          auto r = Parts(v).tokens().Tokenize("acme", items);
          if (!r.ok()) {
            failed = true;
            break;
          }
          std::lock_guard<std::mutex> lock(sample_mu);
          for (int k = 0; k < kBatch; ++k) {
            // All of the first 100,000 (so the small measurement reads across
            // all of them), then every 64th.
            if (first + k < 100000 || (first + k) % 64 == 0) sample.push_back((*r)[k].token);
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    next = count;
    return !failed;
  }

  // Detokenize batches of 100 sampled tokens from `threads` callers for
  // `seconds`; returns items read per second, counting failed items in *wrong.
  double DetokenizeRate(uint64_t before, std::atomic<uint64_t>* wrong) {
    auto t1 = Clock::now();
    std::atomic<uint64_t> read{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + before);
        std::vector<std::string> batch(kBatch);
        while (Since(t1) < seconds) {
          for (int k = 0; k < kBatch; ++k) batch[k] = sample[rng() % sample.size()];
          auto r = Parts(v).tokens().Detokenize("acme", batch, vault::RevealLevel::kMasked);
          if (!r.ok()) continue;
          for (const auto& item : *r) {
            if (item.status.ok())
              ++read;
            else
              ++*wrong;
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    return read / Since(t1);
  }

  // Tokenize batches of 100 new values from `threads` callers for `seconds`.
  double TokenizeRate() {
    auto t0 = Clock::now();
    std::atomic<uint64_t> tokenized{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        std::vector<vault::TokenizeItem> items(kBatch);
        while (Since(t0) < seconds) {
          const uint64_t first = next.fetch_add(kBatch);
          for (int k = 0; k < kBatch; ++k) items[k] = {"phone", Phone(first + k), "", "", 0};
          if (Parts(v).tokens().Tokenize("acme", items).ok()) tokenized += kBatch;
        }
      });
    }
    for (auto& w : workers) w.join();
    return tokenized / Since(t0);
  }

  // Detokenize first, over what is loaded; then tokenize (which adds).
  void Measure(const char* label) {
    const uint64_t before = next.load();
    std::atomic<uint64_t> wrong{0};
    const double detok_rate = DetokenizeRate(before, &wrong);
    const double tok_rate = TokenizeRate();
    const uint64_t bytes = FolderBytes(dir);
    std::printf(
        "%-8s tokens=%llu (at start) tokenize=%.0f/s detokenize=%.0f/s (failed items %llu) "
        "rss=%ld MiB hwm=%ld MiB sample=%zu folder=%.1f MiB (%.0f bytes/token)\n",
        label, static_cast<unsigned long long>(before), tok_rate, detok_rate,
        static_cast<unsigned long long>(wrong.load()), StatusKb("VmRSS:") / 1024,
        StatusKb("VmHWM:") / 1024, sample.size(), bytes / 1048576.0,
        static_cast<double>(bytes) / static_cast<double>(next.load()));
    std::fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const uint64_t target = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  const char* base = std::getenv("TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/vaultd-scale-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return 1;
  vault::VaultOptions options;
  options.data_dir = dir;
  if (argc > 4 && std::string(argv[4]) == "legacy") {
    options.rocks.block_cache_bytes = 64ULL << 20;
    options.rocks.cache_index_and_filter_blocks = false;
    options.rocks.pin_index_and_filter_blocks = false;
    options.rocks.partitioned_index_filters = false;
    options.rocks.data_block_hash_index = false;
  }
  if (argc > 5) options.rocks.block_cache_bytes = std::strtoull(argv[5], nullptr, 10) << 20;
  std::printf(
      "storage: block cache %zu MiB, index/filters in cache %d, pinned %d, partitioned %d, "
      "hash index %d, token filters for hits %d, bloom %d bits/key\n",
      options.rocks.block_cache_bytes >> 20, options.rocks.cache_index_and_filter_blocks,
      options.rocks.pin_index_and_filter_blocks, options.rocks.partitioned_index_filters,
      options.rocks.data_block_hash_index, options.rocks.token_filters_for_hits,
      options.rocks.bloom_bits_per_key);
  options.clock = &vault::SystemClock::Instance();
  options.random = &vault::crypto::SystemRandom::Instance();
  auto opened = vault::Vault::Open(std::move(options));
  if (!opened.ok() || !(*opened)->InitializeAndUnsealDev().ok() ||
      !Parts(*(*opened)).keys().CreateTenant("acme", "").ok()) {
    std::fprintf(stderr, "cannot set up the vault\n");
    return 1;
  }
  ScaleRun run{**opened, dir, threads, seconds, {}, {}, {0}};

  if (!run.LoadUntil(100000)) return 1;
  run.Measure("at-100k");
  auto t = Clock::now();
  if (!run.LoadUntil(target)) return 1;
  std::printf("loaded up to %llu tokens in %.0f s (%.0f tokens/s)\n",
              static_cast<unsigned long long>(target), Since(t), (target - 100000) / Since(t));
  std::fflush(stdout);
  if (!Parts(run.v).kv().Flush().ok()) return 1;
  run.Measure("at-full");
  opened->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
