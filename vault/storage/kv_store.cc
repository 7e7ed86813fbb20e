// Shared helpers of the storage interface.
#include "vault/storage/kv_store.h"

namespace vault::storage {

std::string_view TableName(Table table) {
  switch (table) {
    case Table::kMeta: return "meta";
    case Table::kSubjectKeys: return "subject_keys";
    case Table::kFields: return "fields";
    case Table::kTokens: return "tokens";
    case Table::kBlindIndex: return "blind_index";
    case Table::kAudit: return "audit";
    case Table::kLedger: return "shred_ledger";
  }
  return "unknown";
}

absl::Status KvStore::WriteGroupOn(Table table, std::string_view key, const BuildFn& build,
                                   absl::Span<const WriteBatch* const> batches,
                                   const WriteOptions& options) {
  std::lock_guard<std::mutex> lock(serial_mu_);
  absl::StatusOr<std::string> stored = Get(table, key);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
  const std::optional<std::string> current =
      stored.ok() ? std::optional<std::string>(std::move(*stored)) : std::nullopt;
  WriteBatch extra;
  if (absl::Status built = build(current, &extra); !built.ok()) return built;
  std::vector<const WriteBatch*> all(batches.begin(), batches.end());
  all.push_back(&extra);
  return WriteGroup(all, options);
}

absl::Status ExpectationFailed() {
  return absl::AbortedError("a record this write depends on was changed by another writer");
}

bool IsExpectationFailed(const absl::Status& status) {
  return absl::IsAborted(status) && status.message() == ExpectationFailed().message();
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xff) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace vault::storage
