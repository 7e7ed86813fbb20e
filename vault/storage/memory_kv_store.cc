// MemoryKvStore: snapshots are full copies, which is fine at test sizes.
#include "vault/storage/memory_kv_store.h"

namespace vault::storage {
namespace {

class MemorySnapshot final : public Snapshot {
 public:
  explicit MemorySnapshot(MemoryKvStore::Contents tables) : contents(std::move(tables)) {}
  const MemoryKvStore::Contents contents;
};

size_t Index(Table table) { return static_cast<size_t>(table); }

}  // namespace

const MemoryKvStore::Contents& MemoryKvStore::View(const Snapshot* snapshot) const {
  if (snapshot != nullptr) return static_cast<const MemorySnapshot*>(snapshot)->contents;
  return tables_;
}

absl::StatusOr<std::string> MemoryKvStore::Get(Table table, std::string_view key,
                                               const Snapshot* snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  const TableMap& map = View(snapshot)[Index(table)];
  auto it = map.find(key);
  if (it == map.end()) return absl::NotFoundError("key not found");
  return it->second;
}

std::vector<absl::StatusOr<std::string>> MemoryKvStore::MultiGet(Table table,
                                                                 absl::Span<const std::string> keys,
                                                                 const Snapshot* snapshot) {
  std::vector<absl::StatusOr<std::string>> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) out.push_back(Get(table, key, snapshot));
  return out;
}

absl::Status MemoryKvStore::Write(const WriteBatch& batch, const WriteOptions&) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const WriteBatch::Expectation& e : batch.expectations()) {
    const TableMap& map = tables_[Index(e.table)];
    auto it = map.find(e.key);
    const bool holds =
        e.value.has_value() ? it != map.end() && it->second == *e.value : it == map.end();
    if (!holds) return ExpectationFailed();
  }
  for (const WriteBatch::Op& op : batch.ops()) {
    TableMap& map = tables_[Index(op.table)];
    if (op.kind == WriteBatch::OpKind::kPut) {
      map.insert_or_assign(op.key, op.value);
    } else {
      map.erase(op.key);
    }
  }
  ++writes_;
  return absl::OkStatus();
}

absl::Status MemoryKvStore::ScanPrefix(Table table, std::string_view prefix, const Visitor& visitor,
                                       const Snapshot* snapshot) {
  // Copy the range first so the visitor may call back into the store.
  std::vector<std::pair<std::string, std::string>> range;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TableMap& map = View(snapshot)[Index(table)];
    for (auto it = map.lower_bound(prefix); it != map.end(); ++it) {
      if (std::string_view(it->first).substr(0, prefix.size()) != prefix) break;
      range.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : range) {
    if (!visitor(key, value)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryKvStore::ScanRange(Table table, std::string_view begin, std::string_view end,
                                      const Visitor& visitor, const Snapshot* snapshot) {
  std::vector<std::pair<std::string, std::string>> range;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TableMap& map = View(snapshot)[Index(table)];
    for (auto it = map.lower_bound(begin); it != map.end(); ++it) {
      if (!end.empty() && std::string_view(it->first) >= end) break;
      range.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : range) {
    if (!visitor(key, value)) break;
  }
  return absl::OkStatus();
}

std::shared_ptr<const Snapshot> MemoryKvStore::GetSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::make_shared<MemorySnapshot>(tables_);
}

StoreStats MemoryKvStore::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return StoreStats{writes_, writes_};
}

MemoryKvStore::Contents MemoryKvStore::Dump() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tables_;
}

}  // namespace vault::storage
