// MemoryKvStore: an in-memory KvStore for unit tests (std::map per table).
// Thread-safety: all methods are safe for concurrent use (one mutex).
#ifndef VAULT_STORAGE_MEMORY_KV_STORE_H_
#define VAULT_STORAGE_MEMORY_KV_STORE_H_

#include <map>
#include <mutex>

#include "vault/storage/kv_store.h"

namespace vault::storage {

class MemoryKvStore : public KvStore {
 public:
  using TableMap = std::map<std::string, std::string, std::less<>>;
  using Contents = std::array<TableMap, kTableCount>;

  absl::StatusOr<std::string> Get(Table table, std::string_view key,
                                  const Snapshot* snapshot = nullptr) override;
  std::vector<absl::StatusOr<std::string>> MultiGet(Table table, absl::Span<const std::string> keys,
                                                    const Snapshot* snapshot = nullptr) override;
  absl::Status Write(const WriteBatch& batch, const WriteOptions& options = {}) override;
  absl::Status ScanPrefix(Table table, std::string_view prefix, const Visitor& visitor,
                          const Snapshot* snapshot = nullptr) override;
  absl::Status ScanRange(Table table, std::string_view begin, std::string_view end,
                         const Visitor& visitor, const Snapshot* snapshot = nullptr) override;
  std::shared_ptr<const Snapshot> GetSnapshot() override;
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status CompactRange(Table, std::string_view, std::string_view) override {
    return absl::OkStatus();
  }

  StoreStats Stats() const override;

  // A copy of everything stored, for tests that compare before and after.
  Contents Dump() const;

 private:
  const Contents& View(const Snapshot* snapshot) const;

  mutable std::mutex mu_;
  Contents tables_;
  uint64_t writes_ = 0;
};

}  // namespace vault::storage

#endif  // VAULT_STORAGE_MEMORY_KV_STORE_H_
