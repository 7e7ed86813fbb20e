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
