// PgKvStore against RocksKvStore on the two calls vaultd makes most: a
// synced one-op write batch (a put of a 100-byte value under a new 24-byte
// key) and a Get of an existing key. PostgreSQL runs as a throwaway cluster
// (tests/testing/pg_cluster.h: Unix socket, fsync=on, synchronous_commit=on)
// on the same machine; RocksDB in a temporary folder with its defaults (WAL
// fsync per synced write). One client thread: this measures per-call
// latency, not throughput under concurrency.
// Run: ./build/bench/pg_store_bench (PostgreSQL 15 server binaries needed).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>

#include "tests/testing/pg_cluster.h"
#include "tests/testing/temp_dir.h"
#include "vault/storage/pg_kv_store.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault::storage {
namespace {

constexpr int kPreloaded = 10000;

KvStore* g_rocks = nullptr;
KvStore* g_pg = nullptr;

KvStore* StoreFor(const benchmark::State& state) { return state.range(0) == 0 ? g_rocks : g_pg; }

std::string Key(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-key-%014lld", static_cast<long long>(i));
  return buf;
}

void BM_SyncedWrite1Op(benchmark::State& state) {
  KvStore* store = StoreFor(state);
  state.SetLabel(state.range(0) == 0 ? "rocksdb" : "postgres");
  const std::string value(100, 'v');
  static int64_t next[2] = {kPreloaded, kPreloaded};
  for (auto _ : state) {
    WriteBatch b;
    b.Put(Table::kTokens, Key(next[state.range(0)]++), value);
    if (!store->Write(b, WriteOptions{.sync = true}).ok()) {
      state.SkipWithError("write failed");
      break;
    }
  }
}
BENCHMARK(BM_SyncedWrite1Op)->Arg(0)->Arg(1)->UseRealTime();

void BM_Get(benchmark::State& state) {
  KvStore* store = StoreFor(state);
  state.SetLabel(state.range(0) == 0 ? "rocksdb" : "postgres");
  int64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> v = store->Get(Table::kTokens, Key(i));
    if (!v.ok()) {
      state.SkipWithError("get failed");
      break;
    }
    benchmark::DoNotOptimize(v);
    i = (i + 7919) % kPreloaded;
  }
}
BENCHMARK(BM_Get)->Arg(0)->Arg(1)->UseRealTime();

bool Preload(KvStore& store) {
  const std::string value(100, 'v');
  for (int start = 0; start < kPreloaded; start += 1000) {
    WriteBatch b;
    for (int i = start; i < start + 1000; ++i) b.Put(Table::kTokens, Key(i), value);
    if (!store.Write(b).ok()) return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  absl::StatusOr<std::unique_ptr<testing::PgCluster>> cluster = testing::PgCluster::Start();
  if (!cluster.ok()) {
    std::fprintf(stderr, "pg_store_bench: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  PgKvOptions pg_options;
  pg_options.conninfo = (*cluster)->ConnInfo();
  absl::StatusOr<std::unique_ptr<KvStore>> pg = OpenPgKvStore(pg_options);
  testing::TempDir dir;
  RocksKvOptions rocks_options;
  rocks_options.path = dir.Sub("db");
  absl::StatusOr<std::unique_ptr<KvStore>> rocks = OpenRocksKvStore(rocks_options);
  if (!pg.ok() || !rocks.ok() || !Preload(**pg) || !Preload(**rocks)) {
    std::fprintf(stderr, "pg_store_bench: cannot open or fill the stores\n");
    return 1;
  }
  g_pg = pg->get();
  g_rocks = rocks->get();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace vault::storage

int main(int argc, char** argv) { return vault::storage::Main(argc, argv); }
