// VaultParts: the modules beneath a Vault's facades, for tests and
// benchmarks that exercise one module inside a fully wired vault. Private
// to vault_core: api/ and ops/ use DataAccess and SystemControl only; a test
// target that needs this defines VAULT_INTERNAL_VAULT (tests/CMakeLists.txt).
// Thread-safety: as the parts themselves.
#ifndef VAULT_INTERNAL_VAULT_PARTS_H_
#define VAULT_INTERNAL_VAULT_PARTS_H_

#ifndef VAULT_INTERNAL_VAULT
#error "vault/internal/ is private to vault_core; include vault/vault.h"
#endif

#include "vault/vault.h"

namespace vault::internal {

class VaultParts {
 public:
  explicit VaultParts(Vault& vault) : v_(vault) {}

  KeyHierarchy& keys() { return *v_.keys_; }
  SubjectKeyStore& subject_keys() { return *v_.subject_keys_; }
  SubjectStore& subjects() { return *v_.subjects_; }
  TokenService& tokens() { return *v_.tokens_; }
  PrincipalStore& principals() { return *v_.principals_; }
  SubjectLifecycle& lifecycle() { return *v_.lifecycle_; }
  AuditLog& audit() { return *v_.audit_; }
  RewrapJobs& jobs() { return *v_.jobs_; }
  storage::KvStore& kv() { return *v_.kv_; }
  GroupCommitter& committer() { return *v_.committer_; }
  ConsentStore& consent() { return *v_.consent_; }
  ProcessorNotices& notices() { return *v_.notices_; }

 private:
  Vault& v_;
};

inline VaultParts Parts(Vault& vault) { return VaultParts(vault); }

}  // namespace vault::internal

#endif  // VAULT_INTERNAL_VAULT_PARTS_H_
