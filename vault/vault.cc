// Vault wiring.
#include "vault/vault.h"

#include "base/files.h"
#include "base/strings.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault {

absl::StatusOr<std::unique_ptr<Vault>> Vault::Open(VaultOptions options) {
  if (options.clock == nullptr || options.random == nullptr) {
    return absl::InvalidArgumentError("vault needs a clock and a random source");
  }
  if (absl::Status s = PrepareDataDir(base::Env::Posix(), options.data_dir); !s.ok()) return s;
  std::unique_ptr<Vault> v(new Vault());
  v->data_dir_ = options.data_dir;
  if (options.kv != nullptr) {
    v->kv_ = std::move(options.kv);
  } else {
    storage::RocksKvOptions rocks;
    rocks.path = options.data_dir + "/db";
    rocks.block_cache_bytes = options.block_cache_bytes;
    // Given up at a start on a full disk so the database can open.
    rocks.reserve_path = options.data_dir + "/reserve";
    absl::StatusOr<std::unique_ptr<storage::KvStore>> kv = storage::OpenRocksKvStore(rocks);
    if (!kv.ok()) return kv.status();
    v->kv_ = std::move(*kv);
  }
  KeyHierarchyOptions key_options;
  key_options.dir = options.data_dir;
  key_options.clock = options.clock;
  key_options.random = options.random;
  key_options.argon2 = options.argon2;
  absl::StatusOr<std::unique_ptr<KeyHierarchy>> keys = KeyHierarchy::Open(key_options);
  if (!keys.ok()) return keys.status();
  v->keys_ = std::move(*keys);
  v->audit_ = std::make_unique<AuditLog>(v->kv_.get(), v->keys_.get(), options.clock,
                                         options.audit_checkpoint_every);
  v->committer_ = std::make_unique<GroupCommitter>(v->kv_.get());
  v->committer_->set_audit_log(v->audit_.get());
  v->subject_keys_ = std::make_unique<SubjectKeyStore>(
      v->kv_.get(), v->keys_.get(), options.random, options.clock, options.dek_cache_capacity);
  v->locks_ = std::make_unique<SubjectLocks>();
  SubjectStoreOptions subject_options;
  subject_options.kv = v->kv_.get();
  subject_options.keys = v->keys_.get();
  subject_options.subject_keys = v->subject_keys_.get();
  subject_options.locks = v->locks_.get();
  subject_options.committer = v->committer_.get();
  subject_options.clock = options.clock;
  subject_options.random = options.random;
  v->subjects_ = std::make_unique<SubjectStore>(subject_options);
  TokenServiceOptions token_options;
  token_options.kv = v->kv_.get();
  token_options.keys = v->keys_.get();
  token_options.subject_keys = v->subject_keys_.get();
  token_options.subjects = v->subjects_.get();
  token_options.locks = v->locks_.get();
  token_options.committer = v->committer_.get();
  token_options.clock = options.clock;
  token_options.random = options.random;
  v->tokens_ = std::make_unique<TokenService>(token_options);
  v->principals_ = std::make_unique<PrincipalStore>(v->kv_.get(), v->keys_.get(),
                                                    v->committer_.get(), options.clock,
                                                    options.random);
  LifecycleOptions lifecycle_options;
  lifecycle_options.kv = v->kv_.get();
  lifecycle_options.keys = v->keys_.get();
  lifecycle_options.subject_keys = v->subject_keys_.get();
  lifecycle_options.locks = v->locks_.get();
  lifecycle_options.committer = v->committer_.get();
  lifecycle_options.subjects = v->subjects_.get();
  lifecycle_options.clock = options.clock;
  lifecycle_options.random = options.random;
  v->lifecycle_ = std::make_unique<SubjectLifecycle>(lifecycle_options);
  DataAccessOptions access_options;
  access_options.keys = v->keys_.get();
  access_options.tokens = v->tokens_.get();
  access_options.subjects = v->subjects_.get();
  access_options.principals = v->principals_.get();
  access_options.audit = v->audit_.get();
  access_options.committer = v->committer_.get();
  RewrapJobsOptions job_options;
  job_options.kv = v->kv_.get();
  job_options.lifecycle = v->lifecycle_.get();
  job_options.clock = options.clock;
  job_options.random = options.random;
  job_options.chunk_size = options.rewrap_chunk_size;
  job_options.chunk_pause = options.rewrap_chunk_pause;
  v->jobs_ = std::make_unique<RewrapJobs>(job_options);
  access_options.lifecycle = v->lifecycle_.get();
  access_options.jobs = v->jobs_.get();
  access_options.kv = v->kv_.get();
  access_options.clock = options.clock;
  v->access_ = std::make_unique<DataAccess>(access_options);
  return v;
}

absl::Status Vault::InitializeAndUnsealDev() {
  if (!keys_->initialized()) {
    absl::StatusOr<std::string> root_api_key = keys_->InitializeWithKeyFile(DevKeyFilePath());
    if (!root_api_key.ok()) return root_api_key.status();
    absl::Status written =
        WritePrivateFile(base::Env::Posix(), DevRootApiKeyPath(), *root_api_key + "\n");
    crypto::SecureWipe(*root_api_key);
    if (!written.ok()) return written;
  }
  return keys_->UnsealWithKeyFile(DevKeyFilePath());
}

}  // namespace vault
