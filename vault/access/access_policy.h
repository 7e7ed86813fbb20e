// Access policy: actions, roles, principals and the one authorization
// function every guarded operation goes through. Deny by default; a
// principal may do what any one of its roles allows; purposes bind
// detokenize, read, search and export.
// Thread-safety: pure functions over immutable values.
#ifndef VAULT_ACCESS_ACCESS_POLICY_H_
#define VAULT_ACCESS_ACCESS_POLICY_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/model/data_types.h"
#include "vault/model/records.pb.h"
#include "vault/model/reveal.h"

namespace vault {

enum class Action {
  kTokenize,
  kDetokenize,
  kWrite,
  kRead,
  kSearch,
  kExport,
  kErase,
  kHold,
  kAudit,
  kKeys,
  kAdmin,
  kRevoke
};
inline constexpr Action kAllActions[] = {Action::kTokenize, Action::kDetokenize, Action::kWrite,
                                         Action::kRead,     Action::kSearch,     Action::kExport,
                                         Action::kErase,    Action::kHold,       Action::kAudit,
                                         Action::kKeys,     Action::kAdmin,      Action::kRevoke};

std::string_view ActionName(Action action);
[[nodiscard]] absl::StatusOr<Action> ParseAction(std::string_view name);
// Actions whose calls state (or must state) a purpose.
bool IsPurposeBound(Action action);
// Actions that reveal data and so are limited by max_reveal.
bool IsRevealing(Action action);

struct Role {
  std::string name;
  std::set<Action> actions;
  bool all_types = false;
  std::set<DataType> types;
  RevealLevel max_reveal = RevealLevel::kTokenOnly;
  std::set<std::string> purposes;
  bool require_purpose = false;
  // Deterministic tokens of low-entropy types (IsLowEntropy) are an
  // equality oracle on guesses: only roles that opt in may make them.
  bool allow_deterministic = false;
};

// Validates a stored or requested role: known actions, types ("*" alone or
// type names), reveal level, purposes of lowercase words. INVALID_ARGUMENT
// naming the bad part otherwise.
[[nodiscard]] absl::StatusOr<Role> RoleFromRecord(const records::RoleRecord& record);
// Role names: 1-64 of a-z 0-9 - _ .
[[nodiscard]] absl::Status ValidateRoleName(std::string_view name);
// Purposes: 1-32 of a-z _ .
[[nodiscard]] absl::Status ValidatePurpose(std::string_view purpose);

struct Principal {
  std::string id;
  std::string tenant;  // empty for operators
  std::string name;
  bool is_operator = false;
  std::vector<Role> roles;
};

struct AccessRequest {
  std::string_view tenant;
  Action action = Action::kRead;
  // The data type the request touches; nullopt for a call-level check that
  // precedes per-item checks (or for actions without data types).
  std::optional<DataType> type;
  RevealLevel reveal = RevealLevel::kTokenOnly;
  std::string_view purpose;  // empty = none stated
  // Tokenize only: the call asks for deterministic tokens of `type`.
  bool deterministic = false;
  // A call on the whole vault rather than one tenant (root rotation,
  // backups, seal, the audit chain): only operators, and only for admin,
  // keys and audit. `tenant` is ignored.
  bool system_wide = false;
};

struct Decision {
  bool allowed = false;
  // A fixed phrase (never data) saying why a request was denied.
  std::string_view reason;
};

// The authorization function. Pure: request facts in, decision out.
// Beyond what a single role allows, two rules close guessing oracles:
// - a `hashed` view of a type is refused to a principal that can choose
//   inputs of that type (tokenize or write it) unless it may also see the
//   type in plain for the same action and purpose: otherwise it could hash
//   every candidate for the hidden part of a value and match the victim's;
// - deterministic tokens of a low-entropy type need a role with
//   allow_deterministic.
Decision Authorize(const Principal& principal, const AccessRequest& request);

}  // namespace vault

#endif  // VAULT_ACCESS_ACCESS_POLICY_H_
