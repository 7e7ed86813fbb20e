// Access policy implementation.
#include "vault/access/access_policy.h"

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

// How far a role got before failing, to give the most telling reason.
enum class Failure {
  kNone,
  kAction,
  kType,
  kDeterministic,
  kReveal,
  kPurposeRequired,
  kPurposeNotAllowed
};

Failure Check(const Role& role, const AccessRequest& request) {
  if (role.actions.count(request.action) == 0) return Failure::kAction;
  if (request.type.has_value() && !role.all_types && role.types.count(*request.type) == 0) {
    return Failure::kType;
  }
  if (request.deterministic && request.type.has_value() && IsLowEntropy(*request.type) &&
      !role.allow_deterministic) {
    return Failure::kDeterministic;
  }
  if (IsRevealing(request.action) && request.reveal > role.max_reveal) return Failure::kReveal;
  if (IsPurposeBound(request.action)) {
    if (request.purpose.empty()) {
      if (role.require_purpose) return Failure::kPurposeRequired;
    } else if (role.purposes.count(std::string(request.purpose)) == 0) {
      return Failure::kPurposeNotAllowed;
    }
  }
  return Failure::kNone;
}

std::string_view Reason(Failure f) {
  switch (f) {
    case Failure::kAction: return "no role grants this action";
    case Failure::kType: return "no role grants this action on this data type";
    case Failure::kDeterministic:
      return "deterministic tokens of this low-entropy type need a role with allow_deterministic";
    case Failure::kReveal: return "reveal level above the role's maximum";
    case Failure::kPurposeRequired: return "the role requires a stated purpose";
    case Failure::kPurposeNotAllowed: return "purpose not allowed for the role";
    case Failure::kNone: return "";
  }
  return "denied";
}

bool AnyRoleAllows(const Principal& principal, const AccessRequest& request) {
  for (const Role& role : principal.roles) {
    if (Check(role, request) == Failure::kNone) return true;
  }
  return false;
}

// True when some role lets the principal pick values of `type` to store:
// the precondition of matching guesses against a keyed view.
bool ChoosesInputs(const Principal& principal, DataType type) {
  for (const Role& role : principal.roles) {
    const bool covers = role.all_types || role.types.count(type) != 0;
    if (covers &&
        (role.actions.count(Action::kTokenize) != 0 || role.actions.count(Action::kWrite) != 0)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kTokenize: return "tokenize";
    case Action::kDetokenize: return "detokenize";
    case Action::kWrite: return "write";
    case Action::kRead: return "read";
    case Action::kSearch: return "search";
    case Action::kExport: return "export";
    case Action::kErase: return "erase";
    case Action::kHold: return "hold";
    case Action::kAudit: return "audit";
    case Action::kKeys: return "keys";
    case Action::kAdmin: return "admin";
    case Action::kRevoke: return "revoke";
  }
  return "unknown";
}

absl::StatusOr<Action> ParseAction(std::string_view name) {
  for (Action a : kAllActions) {
    if (ActionName(a) == name) return a;
  }
  return absl::InvalidArgumentError("unknown action");
}

bool IsPurposeBound(Action action) {
  return action == Action::kDetokenize || action == Action::kRead || action == Action::kSearch ||
         action == Action::kExport;
}

bool IsRevealing(Action action) {
  return action == Action::kDetokenize || action == Action::kRead || action == Action::kExport;
}

absl::Status ValidateRoleName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("role name must be 1-64 characters");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return absl::InvalidArgumentError("role name must be of a-z 0-9 - _");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePurpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > 32) {
    return absl::InvalidArgumentError("purpose must be 1-32 characters");
  }
  for (char c : purpose) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) {
      return absl::InvalidArgumentError("purpose must be lowercase words (a-z and _)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Role> RoleFromRecord(const records::RoleRecord& record) {
  Role role;
  role.name = record.name();
  RETURN_IF_ERROR(ValidateRoleName(record.name()));
  for (const std::string& a : record.actions()) {
    absl::StatusOr<Action> action = ParseAction(a);
    if (!action.ok()) return absl::InvalidArgumentError(Cat("actions: unknown action"));
    role.actions.insert(*action);
  }
  for (const std::string& t : record.types()) {
    if (t == "*") {
      role.all_types = true;
      continue;
    }
    absl::StatusOr<DataType> type = ParseDataType(t);
    if (!type.ok()) return absl::InvalidArgumentError("types: unknown data type");
    role.types.insert(*type);
  }
  if (role.all_types && !role.types.empty()) {
    return absl::InvalidArgumentError("types: \"*\" stands alone");
  }
  if (record.max_reveal().empty()) {
    role.max_reveal = RevealLevel::kMasked;
  } else {
    absl::StatusOr<RevealLevel> reveal = ParseRevealLevel(record.max_reveal());
    if (!reveal.ok())
      return absl::InvalidArgumentError(Cat("max_reveal: ", reveal.status().message()));
    role.max_reveal = *reveal;
  }
  for (const std::string& p : record.purposes()) {
    if (absl::Status s = ValidatePurpose(p); !s.ok()) {
      return absl::InvalidArgumentError(Cat("purposes: ", s.message()));
    }
    role.purposes.insert(p);
  }
  role.require_purpose = record.require_purpose();
  role.allow_deterministic = record.allow_deterministic();
  if (role.require_purpose && role.purposes.empty()) {
    return absl::InvalidArgumentError("require_purpose needs at least one purpose");
  }
  return role;
}

Decision Authorize(const Principal& principal, const AccessRequest& request) {
  if (request.system_wide && !principal.is_operator) {
    return {false, "only operators may act on the whole vault"};
  }
  if (principal.is_operator) {
    // Operators manage every tenant's roles, principals and keys and may read
    // the audit log (no values in it), but hold no data roles.
    if (request.action == Action::kAdmin || request.action == Action::kKeys ||
        request.action == Action::kAudit) {
      return {true, ""};
    }
    return {false, "operators read no personal data"};
  }
  if (principal.tenant != request.tenant) return {false, "principal belongs to another tenant"};
  Failure best = Failure::kAction;
  for (const Role& role : principal.roles) {
    Failure f = Check(role, request);
    if (f == Failure::kNone) {
      best = f;
      break;
    }
    if (static_cast<int>(f) > static_cast<int>(best)) best = f;
  }
  if (best != Failure::kNone) return {false, Reason(best)};
  if (IsRevealing(request.action) && request.reveal == RevealLevel::kHashed &&
      request.type.has_value() && ChoosesInputs(principal, *request.type)) {
    AccessRequest plain = request;
    plain.reveal = RevealLevel::kPlain;
    if (!AnyRoleAllows(principal, plain)) {
      return {false, "hashed view refused: the principal can tokenize or write this type"};
    }
  }
  return {true, ""};
}

}  // namespace vault
