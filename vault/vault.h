// Vault: the domain's one public entry point, the header api/ and ops/
// include. Opens a data folder (RocksDB in DIR/db, the keyring slots in DIR),
// wires the modules together with the injected clock and randomness, and
// hands out only the guarded facades: DataAccess (every principal's call,
// authorized and audited) and SystemControl (status, init, unseal,
// authentication, maintenance). The modules beneath stay reachable only
// through vault/internal/vault_parts.h, which is private to vault_core (tests
// and benchmarks get it explicitly).
// Thread-safety: safe for concurrent use once opened.
#ifndef VAULT_VAULT_H_
#define VAULT_VAULT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/passphrase.h"
#include "crypto/pkcs11_token.h"
#include "crypto/random.h"
#include "vault/audit/subject_pseudonyms.h"
#include "vault/cluster_sync.h"
#include "vault/data_access.h"
#include "vault/notices/notice_sender.h"
#include "vault/storage/kv_store.h"
#include "vault/storage/rocks_tuning.h"
#include "vault/system_control.h"

namespace vault {

namespace internal {
class VaultParts;
}  // namespace internal

struct VaultOptions {
  // Created (0700) if missing; refused if group or others can access it.
  // May be empty only with a shared store in `kv` (the keyring then lives
  // in the store, and no file of the vault is written locally).
  std::string data_dir;
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  crypto::Argon2idParams argon2;
  size_t dek_cache_capacity = 100000;
  // RocksDB's block cache, memtables, filters and index layout.
  storage::RocksTuning rocks;
  // A signed audit checkpoint every this many entries.
  uint64_t audit_checkpoint_every = 1000;
  // Shred-epoch jobs: data keys per write, and a pause after each write.
  size_t rewrap_chunk_size = 500;
  absl::Duration rewrap_chunk_pause = absl::ZeroDuration();
  // The maintenance pass starts a shred epoch for a tenant once its oldest
  // erasure not yet covered by an epoch is this old (must be positive).
  absl::Duration shred_epoch_interval = absl::Hours(24);
  // The PKCS#11 token holding the root key (--pkcs11-*); null = file root.
  std::unique_ptr<crypto::Pkcs11Token> token;
  // Residency (--region): serve only the tenants of this region ("" = all);
  // see KeyHierarchyOptions::region.
  std::string region;
  // Tests may supply the store (e.g. in memory, or RocksDB with a faulty file
  // system); null = RocksDB in data_dir/db.
  std::unique_ptr<storage::KvStore> kv;
  // Erasure notices to processors (vault/notices/processor_notices.h): the
  // transport (null: notices are queued, none is sent), the notice body (the
  // API's JSON; required with a sender), whether a background worker
  // delivers them (vaultd: yes; tests run DeliverDue themselves), and the
  // retry schedule.
  std::unique_ptr<NoticeSender> notice_sender;
  NoticeBodyFormat notice_body;
  bool notice_worker = false;
  absl::Duration notice_first_retry = absl::Seconds(1);
  absl::Duration notice_max_retry = absl::Hours(1);
};

class Vault {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Vault>> Open(VaultOptions options);
  ~Vault();

  // The guarded entry point (authorization + audit) for every principal's
  // call.
  DataAccess& access() { return *access_; }
  // Status, initialisation, unseal, authentication and maintenance: the
  // calls that come before or beside a principal.
  SystemControl& system() { return *system_; }
  const std::string& data_dir() const { return data_dir_; }
  // Where dev mode keeps its unseal key and the root API key.
  std::string DevKeyFilePath() const { return data_dir_ + "/unseal.key"; }
  std::string DevRootApiKeyPath() const { return data_dir_ + "/root-api-key"; }

  // Dev mode: initialise with a key file in the data folder if needed
  // (writing the root API key to DevRootApiKeyPath(), mode 0600), then
  // unseal from it.
  [[nodiscard]] absl::Status InitializeAndUnsealDev();
  // PKCS#11 root: unseal from the token if initialised (vaultd at start).
  // OK and nothing done with a file root or before initialisation.
  [[nodiscard]] absl::Status UnsealFromToken();

 private:
  friend class internal::VaultParts;  // tests and benchmarks: vault/internal/vault_parts.h
  Vault() = default;
  // Open's steps: the store, keyring, audit log and subject keys; the
  // services over them; the facades over the services.
  absl::Status OpenStores(VaultOptions& options);
  void WireServices(const VaultOptions& options);
  void WireFacades(const VaultOptions& options);
  void WireNotices(VaultOptions& options);

  std::string data_dir_;
  std::unique_ptr<crypto::Pkcs11Token> token_;  // outlives the key hierarchy
  // Declaration order is destruction order in reverse: the store outlives
  // everything that uses it.
  std::unique_ptr<storage::KvStore> kv_;
  std::unique_ptr<KeyHierarchy> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<SubjectKeyStore> subject_keys_;
  std::unique_ptr<SubjectPseudonyms> pseudonyms_;  // audit entries name subjects by these
  std::unique_ptr<SubjectLocks> locks_;
  std::unique_ptr<SubjectStore> subjects_;
  std::unique_ptr<ConsentStore> consent_;  // #17 item 1
  std::unique_ptr<TokenService> tokens_;
  std::unique_ptr<PrincipalStore> principals_;
  std::unique_ptr<SubjectLifecycle> lifecycle_;
  std::unique_ptr<DataAccess> access_;
  std::unique_ptr<SystemControl> system_;
  std::unique_ptr<RewrapJobs> jobs_;      // its threads use the rest
  std::unique_ptr<ClusterSync> cluster_;  // shared stores: cache validation
  // Erasure notices: before the store goes, the sender stays, and its
  // worker (which uses the rest) is joined first.
  std::unique_ptr<NoticeSender> notice_sender_;
  std::unique_ptr<ProcessorNotices> notices_;
};

}  // namespace vault

#endif  // VAULT_VAULT_H_
