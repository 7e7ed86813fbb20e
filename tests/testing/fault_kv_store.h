// FaultInjectingKvStore: wraps a KvStore and fails chosen calls, for tests
// that check nothing is half-written or returned when storage fails.
// Thread-safety: as the wrapped store; the fault counters are atomic.
#ifndef VAULT_TESTS_TESTING_FAULT_KV_STORE_H_
#define VAULT_TESTS_TESTING_FAULT_KV_STORE_H_

#include <atomic>

#include "vault/storage/kv_store.h"

namespace vault::testing {

class FaultInjectingKvStore : public storage::KvStore {
 public:
  explicit FaultInjectingKvStore(storage::KvStore* target) : target_(target) {}

  // The next `n` Write calls fail with UNAVAILABLE (after `skip` succeed).
  void FailWrites(int n, int skip = 0) {
    skip_writes_ = skip;
    fail_writes_ = n;
  }
  // Every read (Get/MultiGet/ScanPrefix) fails while set.
  void FailReads(bool on) { fail_reads_ = on; }
  int writes() const { return writes_; }

  absl::StatusOr<std::string> Get(storage::Table t, std::string_view key,
                                  const storage::Snapshot* s = nullptr) override {
    if (fail_reads_) return absl::UnavailableError("injected read fault");
    return target_->Get(t, key, s);
  }
  std::vector<absl::StatusOr<std::string>> MultiGet(storage::Table t,
                                                    absl::Span<const std::string> keys,
                                                    const storage::Snapshot* s = nullptr) override {
    if (fail_reads_) {
      return std::vector<absl::StatusOr<std::string>>(
          keys.size(), absl::UnavailableError("injected read fault"));
    }
    return target_->MultiGet(t, keys, s);
  }
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    ++writes_;
    if (skip_writes_ > 0) {
      --skip_writes_;
    } else if (fail_writes_ > 0) {
      --fail_writes_;
      return absl::UnavailableError("injected write fault");
    }
    return target_->Write(batch, options);
  }
  absl::Status WriteGroup(absl::Span<const storage::WriteBatch* const> batches,
                          const storage::WriteOptions& options = {}) override {
    storage::WriteBatch merged;
    for (const storage::WriteBatch* b : batches) merged.Append(*b);
    return Write(merged, options);
  }
  absl::Status ScanPrefix(storage::Table t, std::string_view prefix, const Visitor& visitor,
                          const storage::Snapshot* s = nullptr) override {
    if (fail_reads_) return absl::UnavailableError("injected read fault");
    return target_->ScanPrefix(t, prefix, visitor, s);
  }
  absl::Status ScanRange(storage::Table t, std::string_view begin, std::string_view end,
                         const Visitor& visitor, const storage::Snapshot* s = nullptr) override {
    if (fail_reads_) return absl::UnavailableError("injected read fault");
    return target_->ScanRange(t, begin, end, visitor, s);
  }
  std::shared_ptr<const storage::Snapshot> GetSnapshot() override { return target_->GetSnapshot(); }
  absl::Status Flush() override { return target_->Flush(); }
  storage::StoreStats Stats() const override { return target_->Stats(); }
  absl::Status CompactRange(storage::Table t, std::string_view b, std::string_view e) override {
    return target_->CompactRange(t, b, e);
  }

 private:
  storage::KvStore* target_;
  std::atomic<int> fail_writes_{0};
  std::atomic<int> skip_writes_{0};
  std::atomic<bool> fail_reads_{false};
  std::atomic<int> writes_{0};
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_FAULT_KV_STORE_H_
