// PrincipalStore: roles and principals of each tenant, and authentication
// by API key. Keys are shown once, at creation, and stored only as a keyed
// hash (under a vault system subkey); deleting a principal removes its hash
// at once, so its key stops working on the next request. Every change is
// one atomic batch that carries its audit entries.
// Thread-safety: safe for concurrent use; admin writes are serialised.
// Never logs or returns an API key except from CreatePrincipal.
#ifndef VAULT_ACCESS_PRINCIPAL_STORE_H_
#define VAULT_ACCESS_PRINCIPAL_STORE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/access/access_policy.h"
#include "vault/audit/audit_log.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

inline constexpr std::string_view kRootPrincipalId = "root";

struct IssuedPrincipal {
  std::string id;
  std::string name;
  std::string api_key;  // shown only here
};

// A principal as listed: never its key or key hash.
struct PrincipalInfo {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  int64_t created_at_unix_ms = 0;
};

class PrincipalStore {
 public:
  PrincipalStore(storage::KvStore* kv, KeyHierarchy* keys, GroupCommitter* committer,
                 const Clock* clock, crypto::RandomSource* random)
      : kv_(kv), keys_(keys), committer_(committer), clock_(clock), random_(random) {}

  // Creates or replaces a role. INVALID_ARGUMENT for a bad role; NOT_FOUND
  // for an unknown tenant.
  [[nodiscard]] absl::StatusOr<records::RoleRecord> PutRole(std::string_view tenant,
                                                            records::RoleRecord role,
                                                            const std::vector<AuditEvent>& audit);
  [[nodiscard]] absl::StatusOr<std::vector<records::RoleRecord>> ListRoles(std::string_view tenant);

  // ALREADY_EXISTS for a duplicate name in the tenant; NOT_FOUND for an
  // unknown tenant or role.
  [[nodiscard]] absl::StatusOr<IssuedPrincipal> CreatePrincipal(
      std::string_view tenant, std::string_view name, const std::vector<std::string>& roles,
      const std::vector<AuditEvent>& audit);
  // The tenant's principals, ordered by name. NOT_FOUND for an unknown
  // tenant; DATA_LOSS when a record is corrupt or its name index is stale.
  [[nodiscard]] absl::StatusOr<std::vector<PrincipalInfo>> ListPrincipals(std::string_view tenant);
  // NOT_FOUND when the principal does not exist in this tenant.
  [[nodiscard]] absl::Status DeletePrincipal(std::string_view tenant, std::string_view id,
                                             const std::vector<AuditEvent>& audit);

  // The principal holding `api_key`, with its roles. UNAUTHENTICATED for a
  // missing or unknown key; SEALED while sealed.
  [[nodiscard]] absl::StatusOr<Principal> Authenticate(std::string_view api_key);
  // Every cached principal is read again on its next use (another node
  // changed a principal or a role).
  void DropCache() { ++generation_; }

 private:
  absl::Status CheckTenant(std::string_view tenant);

  storage::KvStore* kv_;
  KeyHierarchy* keys_;
  GroupCommitter* committer_;
  const Clock* clock_;
  crypto::RandomSource* random_;
  std::mutex admin_mu_;  // serialises read-check-write of names

  // Authenticated principals by key hash, valid while `generation_` is
  // unchanged; every role or principal change bumps it, so a deleted
  // principal's key stops working on the very next request (single node).
  struct Cached {
    uint64_t generation;
    Principal principal;
  };
  std::atomic<uint64_t> generation_{0};
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_ ABSL_GUARDED_BY(cache_mu_);
};

// Principal names: 1-64 of a-z 0-9 - _ .
[[nodiscard]] absl::Status ValidatePrincipalName(std::string_view name);

}  // namespace vault

#endif  // VAULT_ACCESS_PRINCIPAL_STORE_H_
