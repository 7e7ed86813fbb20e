// TypeNames: data types as the names audit entries carry. Private to vault_core.
// Thread-safety: pure.
#ifndef VAULT_INTERNAL_TYPE_NAMES_H_
#define VAULT_INTERNAL_TYPE_NAMES_H_

#ifndef VAULT_INTERNAL_VAULT
#error "vault/internal/ is private to vault_core; include vault/vault.h"
#endif

#include <set>
#include <string>
#include <vector>

#include "vault/model/data_types.h"

namespace vault::internal {

inline std::vector<std::string> TypeNames(const std::set<DataType>& types) {
  std::vector<std::string> out;
  for (DataType t : types) out.emplace_back(DataTypeName(t));
  return out;
}

}  // namespace vault::internal

#endif  // VAULT_INTERNAL_TYPE_NAMES_H_
