// SubjectKeyStore implementation.
#include "vault/keys/subject_key_store.h"

#include <functional>
#include <set>

#include "base/status.h"
#include "crypto/aead.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"

namespace vault {
namespace {

std::string DekAd(std::string_view tenant, std::string_view subject, std::string_view dek_id,
                  uint32_t kek_version) {
  return AssociatedData("dek", {tenant, subject, dek_id, EncodeU32(kek_version)});
}

}  // namespace

SubjectKeyStore::SubjectKeyStore(storage::KvStore* kv, KeyHierarchy* keys,
                                 crypto::RandomSource* random, const Clock* clock,
                                 size_t cache_capacity)
    : kv_(kv), keys_(keys), random_(random), clock_(clock), cache_(cache_capacity) {
  keys_->AddSealListener([this] { cache_.Clear(); });
}

absl::StatusOr<DataKeyHandle> SubjectKeyStore::Get(std::string_view tenant,
                                                   std::string_view subject) {
  if (keys_->sealed()) return SealedError();
  std::string id = SubjectKey(tenant, subject);
  if (DataKeyHandle hit = cache_.Get(id)) return hit;
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kSubjectKeys, id);
  if (!stored.ok()) {
    if (!absl::IsNotFound(stored.status())) return stored.status();
    // No key: never existed, or crypto-shredded (then GONE, for good).
    absl::StatusOr<std::string> shredded =
        kv_->Get(storage::Table::kLedger, ShreddedKey(tenant, subject));
    if (shredded.ok()) return GoneError("the subject was erased");
    if (!absl::IsNotFound(shredded.status())) return shredded.status();
    return absl::NotFoundError("unknown subject");
  }
  records::WrappedDek record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("subject key record corrupt");
  absl::StatusOr<KeyCache::Key> kek = keys_->GetKek(tenant, record.kek_version());
  if (!kek.ok()) {
    // The DEK exists but its KEK does not: never report that as "no DEK",
    // or GetOrCreate would overwrite the subject's key.
    if (IsMissing(kek.status())) {
      return absl::DataLossError("subject key's tenant key version is missing");
    }
    return kek.status();
  }
  absl::StatusOr<crypto::SecretBytes> dek = crypto::XChaCha20Poly1305::DecryptSecret(
      **kek, record.ciphertext(), DekAd(tenant, subject, record.dek_id(), record.kek_version()));
  if (!dek.ok()) return absl::DataLossError("subject key failed authentication");
  auto handle = std::make_shared<const DataKey>(
      DataKey{record.dek_id(), record.kek_version(), std::move(*dek)});
  cache_.Put(id, handle);
  if (keys_->sealed()) {  // sealed meanwhile: the seal listener may have run already
    cache_.Erase(id);
    return SealedError();
  }
  // A shred may have committed (and evicted) between our read and our Put:
  // look again, so a shredded key never stays in the cache.
  absl::StatusOr<std::string> still = kv_->Get(storage::Table::kSubjectKeys, id);
  if (!still.ok() || *still != *stored) {
    cache_.Erase(id);
    if (!still.ok() && !absl::IsNotFound(still.status())) return still.status();
    return Get(tenant, subject);  // re-resolve (GONE after a shred)
  }
  return DataKeyHandle(handle);
}

absl::StatusOr<DataKeyHandle> SubjectKeyStore::GetOrCreate(std::string_view tenant,
                                                           std::string_view subject,
                                                           storage::WriteBatch* batch) {
  absl::StatusOr<DataKeyHandle> existing = Get(tenant, subject);
  if (existing.ok() || !IsMissing(existing.status())) {
    return existing;
  }
  absl::StatusOr<ActiveKek> kek = keys_->GetActiveKek(tenant);
  if (!kek.ok()) return kek.status();
  absl::StatusOr<crypto::SecretBytes> dek = random_->Secret(KeyHierarchy::kKeySize);
  if (!dek.ok()) return dek.status();
  records::WrappedDek record;
  record.set_dek_id(random_->Bytes(16));
  record.set_kek_version(kek->version);
  record.set_created_at_unix_ms(absl::ToUnixMillis(clock_->Now()));
  absl::StatusOr<std::string> wrapped = crypto::XChaCha20Poly1305::EncryptSecret(
      *kek->key, *dek, DekAd(tenant, subject, record.dek_id(), kek->version), *random_);
  if (!wrapped.ok()) return wrapped.status();
  record.set_ciphertext(*wrapped);
  const std::string id = SubjectKey(tenant, subject);
  // Several nodes: two may create a key for one subject at once (the
  // subject's lock is per process); the second write must fail, not
  // replace the key the first one's records are sealed under.
  if (kv_->shared()) batch->Expect(storage::Table::kSubjectKeys, id, std::nullopt);
  batch->Put(storage::Table::kSubjectKeys, id, record.SerializeAsString());
  return DataKeyHandle(
      std::make_shared<const DataKey>(DataKey{record.dek_id(), kek->version, std::move(*dek)}));
}

void SubjectKeyStore::Evict(std::string_view tenant, std::string_view subject) {
  cache_.Erase(SubjectKey(tenant, subject));
  cache_.Erase(SubjectKey(tenant, AuditKeyHolder(subject)));
}

size_t SubjectLocks::Stripe(std::string_view tenant, std::string_view subject) const {
  // A retention holder (subject \x01 class) and an audit key's holder
  // (subject \x02) share their subject's lock.
  subject = subject.substr(0, subject.find_first_of(std::string_view("\x01\x02", 2)));
  size_t h = std::hash<std::string_view>{}(tenant)*31 + std::hash<std::string_view>{}(subject);
  return h % stripes_.size();
}

std::unique_lock<std::mutex> SubjectLocks::Lock(std::string_view tenant, std::string_view subject) {
  return std::unique_lock<std::mutex>(stripes_[Stripe(tenant, subject)]);
}

std::vector<std::unique_lock<std::mutex>> SubjectLocks::LockMany(
    std::string_view tenant, const std::vector<std::string>& subjects) {
  std::set<size_t> stripes;
  for (const std::string& subject : subjects) stripes.insert(Stripe(tenant, subject));
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes.size());
  for (size_t stripe : stripes) locks.emplace_back(stripes_[stripe]);
  return locks;
}

std::vector<std::unique_lock<std::mutex>> SubjectLocks::LockAll() {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes_.size());
  for (std::mutex& m : stripes_) locks.emplace_back(m);
  return locks;
}

}  // namespace vault
