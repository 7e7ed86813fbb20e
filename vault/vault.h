// Vault: the domain's entry point. Opens a data folder (RocksDB in DIR/db, the
// keyring slots in DIR) and wires the key hierarchy, subject keys and subject
// store together with the injected clock and randomness.
// Thread-safety: safe for concurrent use once opened.
#ifndef VAULT_VAULT_H_
#define VAULT_VAULT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/passphrase.h"
#include "crypto/random.h"
#include "base/clock.h"
#include "vault/audit/audit_log.h"
#include "vault/data_access.h"
#include "vault/audit/group_committer.h"
#include "vault/access/principal_store.h"
#include "vault/lifecycle/rewrap_jobs.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/storage/kv_store.h"
#include "vault/keys/subject_key_store.h"
#include "vault/subjects/subject_store.h"
#include "vault/tokens/token_service.h"

namespace vault {

struct VaultOptions {
  // Created (0700) if missing; refused if group or others can access it.
  std::string data_dir;
  const Clock* clock = nullptr;  // required
  crypto::RandomSource* random = nullptr;  // required
  crypto::Argon2idParams argon2;
  size_t dek_cache_capacity = 100000;
  size_t block_cache_bytes = 64ULL << 20;
  // A signed audit checkpoint every this many entries.
  uint64_t audit_checkpoint_every = 1000;
  // Shred-epoch jobs: data keys per write, and a pause after each write.
  size_t rewrap_chunk_size = 500;
  absl::Duration rewrap_chunk_pause = absl::ZeroDuration();
  // Tests may supply the store (e.g. in memory, or RocksDB with a faulty file
  // system); null = RocksDB in data_dir/db.
  std::unique_ptr<storage::KvStore> kv;
};

class Vault {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Vault>> Open(VaultOptions options);

  KeyHierarchy& keys() { return *keys_; }
  SubjectKeyStore& subject_keys() { return *subject_keys_; }
  SubjectStore& subjects() { return *subjects_; }
  TokenService& tokens() { return *tokens_; }
  PrincipalStore& principals() { return *principals_; }
  SubjectLifecycle& lifecycle() { return *lifecycle_; }
  AuditLog& audit() { return *audit_; }
  // The guarded entry point (authorization + audit) for every caller.
  DataAccess& access() { return *access_; }
  RewrapJobs& jobs() { return *jobs_; }
  storage::KvStore& kv() { return *kv_; }
  GroupCommitter& committer() { return *committer_; }
  const std::string& data_dir() const { return data_dir_; }
  // Where dev mode keeps its unseal key and the root API key.
  std::string DevKeyFilePath() const { return data_dir_ + "/unseal.key"; }
  std::string DevRootApiKeyPath() const { return data_dir_ + "/root-api-key"; }

  // Dev mode: initialise with a key file in the data folder if needed
  // (writing the root API key to DevRootApiKeyPath(), mode 0600), then
  // unseal from it.
  [[nodiscard]] absl::Status InitializeAndUnsealDev();

 private:
  Vault() = default;

  std::string data_dir_;
  // Declaration order is destruction order in reverse: the store outlives
  // everything that uses it.
  std::unique_ptr<storage::KvStore> kv_;
  std::unique_ptr<KeyHierarchy> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<SubjectKeyStore> subject_keys_;
  std::unique_ptr<SubjectLocks> locks_;
  std::unique_ptr<SubjectStore> subjects_;
  std::unique_ptr<TokenService> tokens_;
  std::unique_ptr<PrincipalStore> principals_;
  std::unique_ptr<SubjectLifecycle> lifecycle_;
  std::unique_ptr<DataAccess> access_;
  std::unique_ptr<RewrapJobs> jobs_;  // destroyed first: its threads use the rest
};

}  // namespace vault

#endif  // VAULT_VAULT_H_
