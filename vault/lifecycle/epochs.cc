// SubjectLifecycle: shred epochs (rotate the tenant KEK, rewrap every data
// key, destroy the retired versions) and KEK rotations serialised with them.
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

// A data key wrapped under a version older than the active one.
struct StaleKey {
  std::string subject;
  records::WrappedDek record;
};

// The tenant's data keys not wrapped under `active_version` (the first one
// only, when `first_only`).
absl::StatusOr<std::vector<StaleKey>> StaleKeys(storage::KvStore& kv, std::string_view tenant,
                                                uint32_t active_version, bool first_only = false) {
  std::vector<StaleKey> out;
  const std::string prefix = TenantPrefix(tenant);
  absl::Status scanned = kv.ScanPrefix(
      storage::Table::kSubjectKeys, prefix, [&](std::string_view key, std::string_view value) {
        records::WrappedDek record;
        if (record.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            record.kek_version() != active_version) {
          out.push_back({std::string(key.substr(prefix.size())), std::move(record)});
          if (first_only) return false;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  return out;
}

// Rewraps the chunk's data keys (re-read: the caller holds their subjects'
// locks, and a shred may have removed one meanwhile) under `active` into
// `batch`. Returns how many moved.
absl::StatusOr<uint64_t> RewrapChunk(const LifecycleOptions& options, std::string_view tenant,
                                     const ActiveKek& active, const std::vector<StaleKey>& chunk,
                                     storage::WriteBatch* batch) {
  uint64_t rewrapped = 0;
  for (const StaleKey& stale : chunk) {
    const std::string& subject = stale.subject;
    absl::StatusOr<std::string> current =
        options.kv->Get(storage::Table::kSubjectKeys, SubjectKey(tenant, subject));
    if (!current.ok()) continue;
    records::WrappedDek now;
    if (!now.ParseFromString(*current)) return absl::DataLossError("subject key record is corrupt");
    if (now.kek_version() == active.version) continue;
    absl::StatusOr<KeyCache::Key> old_kek = options.keys->GetKek(tenant, now.kek_version());
    if (!old_kek.ok()) return old_kek.status();
    const std::string old_ad =
        AssociatedData("dek", {tenant, subject, now.dek_id(), EncodeU32(now.kek_version())});
    absl::StatusOr<crypto::SecretBytes> dek =
        crypto::XChaCha20Poly1305::DecryptSecret(**old_kek, now.ciphertext(), old_ad);
    if (!dek.ok()) return absl::DataLossError("subject key failed authentication");
    absl::StatusOr<std::string> wrapped = crypto::XChaCha20Poly1305::EncryptSecret(
        *active.key, *dek,
        AssociatedData("dek", {tenant, subject, now.dek_id(), EncodeU32(active.version)}),
        *options.random);
    if (!wrapped.ok()) return wrapped.status();
    now.set_kek_version(active.version);
    now.set_ciphertext(*wrapped);
    batch->Put(storage::Table::kSubjectKeys, SubjectKey(tenant, subject), now.SerializeAsString());
    ++rewrapped;
  }
  return rewrapped;
}

}  // namespace

absl::StatusOr<uint64_t> SubjectLifecycle::CloseEpoch(std::string_view tenant) {
  EpochControl control;
  return CloseEpoch(tenant, control);
}

absl::StatusOr<uint64_t> SubjectLifecycle::CloseEpoch(std::string_view tenant,
                                                      EpochControl& control) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (control.chunk_size == 0) return absl::InvalidArgumentError("chunk size must be positive");
  std::lock_guard<std::mutex> epoch(epoch_mu_);
  if (control.target_version == 0) {
    absl::StatusOr<uint32_t> rotated = options_.keys->RotateKek(tenant);
    if (!rotated.ok()) return rotated.status();
    control.target_version = *rotated;
    if (control.on_rotated) {
      RETURN_IF_ERROR(control.on_rotated(*rotated));
    }
  }
  // Resuming: the job rotated before it was interrupted; everything moves
  // to the version active now (the job's, or a newer one).
  absl::StatusOr<ActiveKek> active = options_.keys->GetActiveKek(tenant);
  if (!active.ok()) return active.status();
  uint64_t done = control.done_before;
  uint64_t rewrapped = 0;
  auto flush_chunk = [&](std::vector<StaleKey>& chunk) -> absl::Status {
    if (chunk.empty()) return absl::OkStatus();
    std::vector<std::string> subjects;
    for (const StaleKey& key : chunk) subjects.push_back(key.subject);
    std::vector<std::unique_lock<std::mutex>> locks = options_.locks->LockMany(tenant, subjects);
    storage::WriteBatch batch;
    absl::StatusOr<uint64_t> moved = RewrapChunk(options_, tenant, *active, chunk, &batch);
    if (!moved.ok()) return moved.status();
    rewrapped += *moved;
    done += chunk.size();
    chunk.clear();
    if (control.on_chunk) control.on_chunk(done, &batch);
    RETURN_IF_ERROR(options_.kv->Write(batch));
    if (control.between_chunks) return control.between_chunks();
    return absl::OkStatus();
  };

  // Collect in chunks (the scan itself holds no lock).
  absl::StatusOr<std::vector<StaleKey>> all = StaleKeys(*options_.kv, tenant, active->version);
  if (!all.ok()) return all.status();
  if (control.on_total) control.on_total(done + all->size());
  std::vector<StaleKey> chunk;
  for (StaleKey& entry : *all) {
    chunk.push_back(std::move(entry));
    if (chunk.size() == control.chunk_size) {
      RETURN_IF_ERROR(flush_chunk(chunk));
    }
  }
  RETURN_IF_ERROR(flush_chunk(chunk));
  RETURN_IF_ERROR(DestroyRetiredVersions(tenant, active->version));
  return rewrapped;
}

absl::Status SubjectLifecycle::DestroyRetiredVersions(std::string_view tenant,
                                                      uint32_t active_version) {
  // Every DEK must be under the active version before anything is destroyed;
  // with every subject stripe held, no new DEK can be committed meanwhile.
  std::vector<std::unique_lock<std::mutex>> all_subjects = options_.locks->LockAll();
  absl::StatusOr<std::vector<StaleKey>> stragglers =
      StaleKeys(*options_.kv, tenant, active_version, /*first_only=*/true);
  if (!stragglers.ok()) return stragglers.status();
  if (!stragglers->empty())
    return absl::AbortedError("keys changed during the epoch; run it again");
  RETURN_IF_ERROR(options_.kv->Flush());
  absl::StatusOr<std::vector<KekInfo>> keks = options_.keys->ListKeks(tenant);
  if (!keks.ok()) return keks.status();
  std::vector<uint32_t> older;
  for (const KekInfo& k : *keks) {
    if (k.version < active_version && k.state != records::KekVersion::DESTROYED) {
      older.push_back(k.version);
    }
  }
  return options_.keys->DestroyKekVersions(tenant, older).status();
}

absl::StatusOr<uint32_t> SubjectLifecycle::RotateKey(std::string_view tenant) {
  std::lock_guard<std::mutex> epoch(epoch_mu_);
  return options_.keys->RotateKek(tenant);
}

}  // namespace vault
