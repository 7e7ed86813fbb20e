// In-process tokenize / detokenize throughput on durable storage: a real
// RocksDB folder (synced WAL), single-item calls from concurrent callers and
// 100-item batches. The vault lives in a temporary folder under $TMPDIR.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "vault/internal/vault_parts.h"
#include "vault/storage/kv_store.h"
#include "vault/vault.h"

using vault::internal::Parts;

namespace {

struct Shared {
  std::string dir;
  std::unique_ptr<vault::Vault> vault;
  std::vector<std::string> tokens;  // pre-issued, for detokenize
  vault::RequestContext reader;     // a support principal, for audited reads
};

// A vault in a fresh folder with `preissued` card tokens, flushed and
// compacted so reads see a settled database (no background compaction
// competing for the two cores while they are measured).
Shared* MakeFixture(int preissued) {
  auto* s = new Shared();
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/vaultd-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  s->dir = tmpl;
  vault::VaultOptions options;
  options.data_dir = s->dir;
  options.clock = &vault::SystemClock::Instance();
  options.random = &vault::crypto::SystemRandom::Instance();
  auto v = vault::Vault::Open(std::move(options));
  if (!v.ok() || !(*v)->InitializeAndUnsealDev().ok() ||
      !Parts(*(*v)).keys().CreateTenant("acme", "").ok()) {
    std::abort();
  }
  s->vault = std::move(*v);
  for (int batch = 0; batch < preissued / 1000; ++batch) {
    std::vector<vault::TokenizeItem> items;
    for (int i = 0; i < 1000; ++i) items.push_back({"bank_card", "4111111111111111", "", "", 0});
    auto r = Parts(*s->vault).tokens().Tokenize("acme", items);
    if (!r.ok()) std::abort();
    for (auto& t : *r) s->tokens.push_back(std::move(t.token));
  }
  // A principal allowed masked card reads for "support", as the API has it.
  vault::RequestContext root{vault::Principal{"root", "", "root", true, {}}, "bench", ""};
  vault::records::RoleRecord role;
  role.set_name("support");
  role.add_actions("detokenize");
  role.add_types("bank_card");
  role.set_max_reveal("masked");
  role.add_purposes("support");
  if (!s->vault->access().PutRole(root, "acme", role).ok()) std::abort();
  auto issued = s->vault->access().CreatePrincipal(root, "acme", "helpdesk", {"support"});
  if (!issued.ok()) std::abort();
  auto principal = Parts(*s->vault).principals().Authenticate(issued->api_key);
  if (!principal.ok()) std::abort();
  s->reader = vault::RequestContext{*principal, "bench-request", "support"};
  if (!Parts(*s->vault).kv().Flush().ok()) std::abort();
  for (vault::storage::Table t : vault::storage::kAllTables) {
    if (!Parts(*s->vault).kv().CompactRange(t, "", "").ok()) std::abort();
  }
  return s;
}

void Destroy(Shared* s) {
  s->vault.reset();
  std::filesystem::remove_all(s->dir);
}

// Detokenize reads from this one; tokenize writes to the other.
Shared& ReadFixture() {
  static Shared* shared = [] {
    Shared* s = MakeFixture(100000);
    std::atexit([] { Destroy(&ReadFixture()); });
    return s;
  }();
  return *shared;
}

Shared& Fixture() {
  static Shared* shared = [] {
    Shared* s = MakeFixture(0);
    std::atexit([] { Destroy(&Fixture()); });
    return s;
  }();
  return *shared;
}

void BM_DetokenizeSingle(benchmark::State& state) {
  Shared& f = ReadFixture();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto r = Parts(*f.vault).tokens().Detokenize("acme", {f.tokens[i++ % f.tokens.size()]},
                                                 vault::RevealLevel::kMasked);
    if (!r.ok() || !(*r)[0].status.ok()) state.SkipWithError("detokenize failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DetokenizeSingle)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

// The same reads through the guarded entry point: authorization, and a
// durable audit entry per call before the value is returned.
void BM_DetokenizeAuditedSingle(benchmark::State& state) {
  Shared& f = ReadFixture();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto r = f.vault->access().Detokenize(f.reader, "acme", {f.tokens[i++ % f.tokens.size()]},
                                          vault::RevealLevel::kMasked);
    if (!r.ok() || !(*r)[0].status.ok()) state.SkipWithError("detokenize failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DetokenizeAuditedSingle)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

void BM_DetokenizeBatch100(benchmark::State& state) {
  Shared& f = ReadFixture();
  size_t offset = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    std::vector<std::string> batch;
    batch.reserve(100);
    for (size_t k = 0; k < 100; ++k) batch.push_back(f.tokens[(offset + k) % f.tokens.size()]);
    offset += 100;
    auto r = Parts(*f.vault).tokens().Detokenize("acme", batch, vault::RevealLevel::kMasked);
    if (!r.ok()) state.SkipWithError("detokenize failed");
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DetokenizeBatch100)->Threads(1)->Threads(4)->UseRealTime();

void BM_TokenizeSingle(benchmark::State& state) {
  Shared& f = Fixture();
  int i = 0;
  for (auto _ : state) {
    auto r = Parts(*f.vault).tokens().Tokenize(
        "acme", {{"phone", "+86139" + std::to_string(10000000 + (i++ % 80000000)), "", "", 0}});
    if (!r.ok()) state.SkipWithError("tokenize failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenizeSingle)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

void BM_TokenizeBatch100(benchmark::State& state) {
  Shared& f = Fixture();
  std::vector<vault::TokenizeItem> items;
  for (int i = 0; i < 100; ++i) items.push_back({"bank_card", "4111 1111 1111 1111", "", "", 0});
  for (auto _ : state) {
    if (!Parts(*f.vault).tokens().Tokenize("acme", items).ok())
      state.SkipWithError("tokenize failed");
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_TokenizeBatch100)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
