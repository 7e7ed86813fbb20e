// KeyHierarchy and backups: with a PKCS#11 root, a backup's keyring is
// wrapped under a backup key object of its expiry day, destroyed by the
// scheduler when that day ends, so that no copy of the backup opens after.
#include <algorithm>
#include <mutex>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/keys/internal/keyring_layout.h"
#include "vault/keys/internal/root_key.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

constexpr size_t kKeyIdSize = 16;

// The end of the UTC day `t` falls in (a backup's key dies then).
absl::Time EndOfDay(absl::Time t) {
  constexpr int64_t kDay = 86400;
  const absl::Time start = absl::FromUnixSeconds(absl::ToUnixSeconds(t) / kDay * kDay);
  return start == t ? t : start + absl::Seconds(kDay);
}

}  // namespace

using keys_internal::FromMs;
using keys_internal::ToMs;

absl::StatusOr<std::string> KeyHierarchy::BackupKeyIdLocked(absl::Time expires_at) {
  const int64_t ms = ToMs(expires_at);
  for (const records::BackupKey& k : keyring_->backup_keys()) {
    if (k.expires_at_unix_ms() == ms && !k.destroyed()) return k.key_id();
  }
  const std::string key_id = options_.random->Bytes(kKeyIdSize);
  RETURN_IF_ERROR(options_.token->GenerateKey(
      key_id, Cat("vaultd-backup-", absl::FormatTime("%Y-%m-%d", expires_at - absl::Seconds(1),
                                                     absl::UTCTimeZone()))));
  records::Keyring next = *keyring_;
  records::BackupKey* k = next.add_backup_keys();
  k->set_key_id(key_id);
  k->set_expires_at_unix_ms(ms);
  k->set_created_at_unix_ms(ToMs(options_.clock->Now()));
  // On failure the object stays (a slot may name it); the next backup of
  // that day makes another.
  RETURN_IF_ERROR(PersistLocked(std::move(next)));
  return key_id;
}

absl::Status KeyHierarchy::WithBackupKeyring(
    absl::Duration expires_in, const std::function<absl::Status(const records::Keyring&)>& fn) {
  if (!token_root()) {
    if (expires_in != absl::ZeroDuration()) {
      return absl::FailedPreconditionError(
          "backups expire only with a PKCS#11 root (a file root's shares open every copy)");
    }
    return WithKeyring(fn);
  }
  if (expires_in == absl::ZeroDuration()) expires_in = kDefaultBackupLifetime;
  if (expires_in < absl::ZeroDuration() || expires_in > kMaxBackupLifetime) {
    return absl::InvalidArgumentError("a backup's lifetime must be between 1 second and 400 days");
  }
  const absl::Time expires_at = EndOfDay(options_.clock->Now() + expires_in);
  std::string key_id;
  {
    std::unique_lock lock(mu_);
    if (root_ == nullptr) return SealedError();
    ASSIGN_OR_RETURN(key_id, BackupKeyIdLocked(expires_at));
  }
  std::shared_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  records::Keyring copy = *keyring_;
  std::unique_ptr<keys_internal::RootKey> backup_root =
      keys_internal::TokenRoot(options_.token, key_id, options_.random);
  RETURN_IF_ERROR(RewrapAllLocked(*backup_root, &copy));
  copy.mutable_seal()->set_pkcs11_key_id(key_id);
  copy.set_backup_expires_at_unix_ms(ToMs(expires_at));
  copy.clear_pkcs11_retired_key_ids();
  return fn(copy);
}

absl::StatusOr<int> KeyHierarchy::DestroyExpiredBackupKeys() {
  if (!token_root()) return 0;
  std::unique_lock lock(mu_);
  if (!keyring_.has_value() || keyring_->backup_keys().empty()) return 0;
  const int64_t now = ToMs(options_.clock->Now());
  records::Keyring next = *keyring_;
  int destroyed = 0;
  absl::Status first;
  for (records::BackupKey& k : *next.mutable_backup_keys()) {
    if (k.destroyed() || k.expires_at_unix_ms() > now) continue;
    absl::Status s = options_.token->DestroyKey(k.key_id());
    if (!s.ok()) {
      first.Update(s);
      continue;
    }
    k.set_destroyed(true);
    ++destroyed;
  }
  if (destroyed > 0) first.Update(PersistLocked(std::move(next)));
  if (!first.ok()) return first;
  return destroyed;
}

std::optional<absl::Time> KeyHierarchy::BackupsUnreadableBy(
    absl::Time shredded_at, std::optional<absl::Time> final_at) const {
  if (!token_root()) return std::nullopt;
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return std::nullopt;
  // Until the erasure is final, a backup can hold the subject's wrapped key
  // (rows not yet compacted away, its KEK version not yet destroyed): every
  // backup key made up to then counts.
  const int64_t cutoff = ToMs(final_at.value_or(options_.clock->Now()));
  int64_t latest = ToMs(shredded_at);  // no backup key: no backup holds it
  for (const records::BackupKey& k : keyring_->backup_keys()) {
    if (k.created_at_unix_ms() <= cutoff) latest = std::max(latest, k.expires_at_unix_ms());
  }
  return FromMs(latest);
}

}  // namespace vault
