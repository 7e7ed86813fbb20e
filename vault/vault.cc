// Vault wiring.
#include "vault/vault.h"

#include "base/files.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault {

absl::StatusOr<std::unique_ptr<Vault>> Vault::Open(VaultOptions options) {
  if (options.clock == nullptr || options.random == nullptr) {
    return absl::InvalidArgumentError("vault needs a clock and a random source");
  }
  if (options.shred_epoch_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the shred epoch interval must be positive");
  }
  if (options.notice_sender != nullptr && !options.notice_body) {
    return absl::InvalidArgumentError("a notice sender needs a notice body format");
  }
  const bool shared = options.kv != nullptr && options.kv->shared();
  if (options.data_dir.empty() && !shared) {
    return absl::InvalidArgumentError("a data folder is required (except on a shared store)");
  }
  if (!options.data_dir.empty()) {
    RETURN_IF_ERROR(PrepareDataDir(base::Env::Posix(), options.data_dir));
  }
  std::unique_ptr<Vault> v(new Vault());
  v->data_dir_ = options.data_dir;
  RETURN_IF_ERROR(v->OpenStores(options));
  v->WireServices(options);
  v->WireNotices(options);
  v->WireFacades(options);
  if (options.notice_worker) v->notices_->StartWorker();
  return v;
}

Vault::~Vault() = default;

absl::Status Vault::OpenStores(VaultOptions& options) {
  if (options.kv != nullptr) {
    kv_ = std::move(options.kv);
  } else {
    storage::RocksKvOptions rocks;
    rocks.path = options.data_dir + "/db";
    rocks.tuning = options.rocks;
    // Given up at a start on a full disk so the database can open.
    rocks.reserve_path = options.data_dir + "/reserve";
    absl::StatusOr<std::unique_ptr<storage::KvStore>> kv = storage::OpenRocksKvStore(rocks);
    if (!kv.ok()) return kv.status();
    kv_ = std::move(*kv);
  }
  KeyHierarchyOptions key_options;
  key_options.dir = options.data_dir;
  // Every node of a shared store must see one keyring: it lives in the store.
  if (kv_->shared()) key_options.keyring_kv = kv_.get();
  key_options.clock = options.clock;
  key_options.random = options.random;
  key_options.argon2 = options.argon2;
  key_options.region = options.region;
  token_ = std::move(options.token);
  key_options.token = token_.get();
  absl::StatusOr<std::unique_ptr<KeyHierarchy>> keys = KeyHierarchy::Open(key_options);
  if (!keys.ok()) return keys.status();
  keys_ = std::move(*keys);
  audit_ = std::make_unique<AuditLog>(kv_.get(), keys_.get(), options.clock,
                                      options.audit_checkpoint_every);
  committer_ = std::make_unique<GroupCommitter>(kv_.get());
  committer_->set_audit_log(audit_.get());
  subject_keys_ = std::make_unique<SubjectKeyStore>(kv_.get(), keys_.get(), options.random,
                                                    options.clock, options.dek_cache_capacity);
  locks_ = std::make_unique<SubjectLocks>();
  pseudonyms_ = std::make_unique<SubjectPseudonyms>(kv_.get(), subject_keys_.get());
  SubjectPseudonyms* pseudonyms = pseudonyms_.get();
  committer_->set_event_preparer(
      [pseudonyms](std::vector<AuditEvent>* events) { return pseudonyms->Apply(events); });
  audit_->set_subject_resolver([pseudonyms](std::string_view tenant, std::string_view subject) {
    return pseudonyms->Find(tenant, subject);
  });
  return absl::OkStatus();
}

void Vault::WireServices(const VaultOptions& options) {
  SubjectStoreOptions subject_options;
  subject_options.kv = kv_.get();
  subject_options.keys = keys_.get();
  subject_options.subject_keys = subject_keys_.get();
  subject_options.locks = locks_.get();
  subject_options.committer = committer_.get();
  subject_options.clock = options.clock;
  subject_options.random = options.random;
  subjects_ = std::make_unique<SubjectStore>(subject_options);
  ConsentStoreOptions consent_options;  // #17 item 1: consent, sealed under each subject's DEK
  consent_options.kv = kv_.get();
  consent_options.subject_keys = subject_keys_.get();
  consent_options.keys = keys_.get();
  consent_options.locks = locks_.get();
  consent_options.committer = committer_.get();
  consent_options.clock = options.clock;
  consent_options.random = options.random;
  consent_ = std::make_unique<ConsentStore>(consent_options);
  TokenServiceOptions token_options;
  token_options.kv = kv_.get();
  token_options.keys = keys_.get();
  token_options.subject_keys = subject_keys_.get();
  token_options.subjects = subjects_.get();
  token_options.locks = locks_.get();
  token_options.committer = committer_.get();
  token_options.clock = options.clock;
  token_options.random = options.random;
  tokens_ = std::make_unique<TokenService>(token_options);
  principals_ = std::make_unique<PrincipalStore>(kv_.get(), keys_.get(), committer_.get(),
                                                 options.clock, options.random);
  LifecycleOptions lifecycle_options;
  lifecycle_options.kv = kv_.get();
  lifecycle_options.keys = keys_.get();
  lifecycle_options.subject_keys = subject_keys_.get();
  lifecycle_options.locks = locks_.get();
  lifecycle_options.committer = committer_.get();
  lifecycle_options.subjects = subjects_.get();
  lifecycle_options.clock = options.clock;
  lifecycle_options.random = options.random;
  // Erasure notices are queued in the write of the done erasure (notices_
  // exists before any erasure can run: Open wires it next).
  lifecycle_options.on_erasure_done = [this](const records::ErasureRecord& done,
                                             storage::WriteBatch* batch) {
    return notices_->AddErasureNotices(done, batch);
  };
  lifecycle_options.after_erasure_done = [this] { notices_->Wake(); };
  lifecycle_ = std::make_unique<SubjectLifecycle>(lifecycle_options);
  RewrapJobsOptions job_options;
  job_options.kv = kv_.get();
  job_options.lifecycle = lifecycle_.get();
  job_options.clock = options.clock;
  job_options.random = options.random;
  job_options.chunk_size = options.rewrap_chunk_size;
  job_options.chunk_pause = options.rewrap_chunk_pause;
  job_options.keys = keys_.get();
  job_options.committer = committer_.get();
  job_options.epoch_interval = options.shred_epoch_interval;
  // PKCS#11 root: the end of a shred epoch also replaces the root key object
  // and destroys the old one, so no copy taken before opens any more.
  KeyHierarchy* keys = keys_.get();
  job_options.on_epoch_closed = [keys](const records::RewrapJob& job) {
    return keys->CloseRootEpoch(job.tenant(), absl::FromUnixMillis(job.created_at_unix_ms()));
  };
  jobs_ = std::make_unique<RewrapJobs>(job_options);
}

void Vault::WireNotices(VaultOptions& options) {
  notice_sender_ = std::move(options.notice_sender);
  ProcessorNoticesOptions notice_options;
  notice_options.kv = kv_.get();
  notice_options.committer = committer_.get();
  notice_options.keys = keys_.get();
  notice_options.clock = options.clock;
  notice_options.sender = notice_sender_.get();
  notice_options.body = options.notice_body;
  notice_options.first_retry = options.notice_first_retry;
  notice_options.max_retry = options.notice_max_retry;
  notices_ = std::make_unique<ProcessorNotices>(notice_options);
}

void Vault::WireFacades(const VaultOptions& options) {
  DataAccessOptions access_options;
  access_options.keys = keys_.get();
  access_options.tokens = tokens_.get();
  access_options.subjects = subjects_.get();
  access_options.principals = principals_.get();
  access_options.audit = audit_.get();
  access_options.committer = committer_.get();
  access_options.lifecycle = lifecycle_.get();
  access_options.jobs = jobs_.get();
  access_options.kv = kv_.get();
  access_options.clock = options.clock;
  access_options.consent = consent_.get();
  access_options.processors = notices_.get();
  access_ = std::make_unique<DataAccess>(access_options);
  SystemControlOptions system_options;
  system_options.keys = keys_.get();
  system_options.kv = kv_.get();
  system_options.audit = audit_.get();
  system_options.committer = committer_.get();
  system_options.principals = principals_.get();
  system_options.lifecycle = lifecycle_.get();
  system_options.jobs = jobs_.get();
  system_options.subject_keys = subject_keys_.get();
  system_options.dek_cache_capacity = options.dek_cache_capacity;
  cluster_ = std::make_unique<ClusterSync>(kv_.get(), [this]() -> absl::Status {
    RETURN_IF_ERROR(keys_->Refresh());
    subject_keys_->EvictAll();
    principals_->DropCache();
    consent_->EvictAll();
    return absl::OkStatus();
  });
  system_options.cluster = cluster_.get();
  system_ = std::make_unique<SystemControl>(system_options);
}

absl::Status Vault::UnsealFromToken() {
  if (keys_->token_mismatch()) {
    return absl::FailedPreconditionError(
        "this vault was initialised with unseal shares, not a PKCS#11 token: the token flags are "
        "ignored; unseal it with its shares");
  }
  if (!keys_->token_root() || !keys_->initialized()) return absl::OkStatus();
  return keys_->UnsealWithToken();
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
