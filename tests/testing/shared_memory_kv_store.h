// SharedMemoryKvStore: a MemoryKvStore that reports itself shared and keeps
// a cache generation like PostgreSQL does (advanced by every write marked
// invalidates_caches), so several Vault parts can be run as "nodes" over one
// store in unit tests. Wrap it per node with SharedStoreView (a Vault owns
// its store). Thread-safety: as MemoryKvStore.
#ifndef VAULT_TESTS_TESTING_SHARED_MEMORY_KV_STORE_H_
#define VAULT_TESTS_TESTING_SHARED_MEMORY_KV_STORE_H_

#include <atomic>
#include <cstdint>

#include "vault/storage/memory_kv_store.h"

namespace vault::testing {

class SharedMemoryKvStore final : public storage::MemoryKvStore {
 public:
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    absl::Status s = MemoryKvStore::Write(batch, options);
    if (s.ok() && batch.invalidates_caches()) ++generation_;
    return s;
  }
  bool shared() const override { return true; }
  absl::StatusOr<uint64_t> CacheGeneration() override {
    ++generation_reads_;
    if (fail_reads_.load()) return absl::UnavailableError("database unavailable");
    return generation_.load();
  }
  uint64_t generation_reads() const { return generation_reads_.load(); }
  void set_fail_reads(bool fail) { fail_reads_ = fail; }

 private:
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> generation_reads_{0};
  std::atomic<bool> fail_reads_{false};
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_SHARED_MEMORY_KV_STORE_H_
