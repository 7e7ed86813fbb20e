// RETURN_IF_ERROR and ASSIGN_OR_RETURN: early returns on a failed
// absl::Status / absl::StatusOr, the status passed on unchanged (its error
// kind included).
// Thread-safety: macros; no state.
#ifndef VAULT_BASE_STATUS_MACROS_H_
#define VAULT_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` (an absl::Status) from the enclosing function
// when it is not OK.
#define RETURN_IF_ERROR(expr)                                       \
  do {                                                              \
    if (absl::Status vault_status_ = (expr); !vault_status_.ok()) { \
      return vault_status_;                                         \
    }                                                               \
  } while (false)

// `lhs = std::move(*expr)` when `expr` (an absl::StatusOr) is OK; else returns
// its status from the enclosing function. `lhs` may declare a variable
// (`ASSIGN_OR_RETURN(auto key, Load());`); one use per line.
#define ASSIGN_OR_RETURN(lhs, expr) \
  VAULT_ASSIGN_OR_RETURN_IMPL(VAULT_STATUS_CONCAT(vault_statusor_, __LINE__), lhs, expr)
#define VAULT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(*tmp)
#define VAULT_STATUS_CONCAT_INNER(a, b) a##b
#define VAULT_STATUS_CONCAT(a, b) VAULT_STATUS_CONCAT_INNER(a, b)

#endif  // VAULT_BASE_STATUS_MACROS_H_
