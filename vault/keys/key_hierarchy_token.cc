// KeyHierarchy with a PKCS#11 root: initialisation inside the token,
// self-unseal, root rotation that destroys the old key object (a root
// epoch), and the scheduler's token check.
#include <mutex>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/keys/internal/keyring_layout.h"
#include "vault/keys/internal/root_key.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {
namespace {

constexpr size_t kKeyIdSize = 16;

std::string RootObjectLabel(uint32_t version) { return Cat("vaultd-root-v", version); }

}  // namespace

using keys_internal::FromMs;
using keys_internal::ToMs;

bool KeyHierarchy::token_root() const {
  if (options_.token == nullptr) return false;
  std::shared_lock lock(mu_);
  return !keyring_.has_value() || keyring_->seal().kind() == records::SealConfig::PKCS11;
}

bool KeyHierarchy::token_mismatch() const {
  if (options_.token == nullptr) return false;
  std::shared_lock lock(mu_);
  return keyring_.has_value() && keyring_->seal().kind() != records::SealConfig::PKCS11;
}

absl::StatusOr<std::string> KeyHierarchy::InitializeWithToken() {
  if (options_.token == nullptr) {
    return absl::FailedPreconditionError("vaultd was started without a PKCS#11 token");
  }
  std::unique_lock lock(mu_);
  if (keyring_.has_value()) return absl::FailedPreconditionError("vault is already initialised");
  const std::string key_id = options_.random->Bytes(kKeyIdSize);
  RETURN_IF_ERROR(options_.token->GenerateKey(key_id, RootObjectLabel(1)));
  records::Keyring next;
  records::SealConfig* seal = next.mutable_seal();
  seal->set_kind(records::SealConfig::PKCS11);
  seal->set_pkcs11_key_id(key_id);
  seal->set_pkcs11_token_label(options_.token->token_label());
  // On failure the object stays: a failed keyring write may still have left
  // a slot that names it (an orphan object opens nothing).
  return InitializeRootLocked(keys_internal::TokenRoot(options_.token, key_id, options_.random),
                              std::move(next));
}

void KeyHierarchy::SealAndHold() {
  {
    std::unique_lock lock(mu_);
    seal_held_ = true;
  }
  Seal();
}

absl::Status KeyHierarchy::UnsealWithToken() { return UnsealWithTokenImpl(/*scheduler=*/false); }

absl::Status KeyHierarchy::UnsealWithTokenImpl(bool scheduler) {
  std::unique_lock lock(mu_);
  // The hold is read and cleared under mu_, so an operator's seal cannot
  // land between the scheduler's check and its unseal.
  if (scheduler && seal_held_) return absl::OkStatus();
  if (!scheduler) seal_held_ = false;
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  if (keyring_->seal().kind() != records::SealConfig::PKCS11) {
    return absl::FailedPreconditionError("vault is not sealed with a PKCS#11 token");
  }
  if (options_.token == nullptr) {
    return absl::FailedPreconditionError(
        "the vault's root key is in a PKCS#11 token: start vaultd with --pkcs11-module");
  }
  if (root_ == nullptr) {
    const std::string& key_id = keyring_->seal().pkcs11_key_id();
    const int64_t backup_expiry = keyring_->backup_expires_at_unix_ms();
    ASSIGN_OR_RETURN(bool present, options_.token->HasKey(key_id));
    if (backup_expiry != 0 && (!present || options_.clock->Now() >= FromMs(backup_expiry))) {
      return absl::PermissionDeniedError(
          Cat("this data folder was restored from a backup that expired at ",
              absl::FormatTime(absl::RFC3339_sec, FromMs(backup_expiry), absl::UTCTimeZone()),
              ": its key object is destroyed and nothing in it can be opened"));
    }
    if (!present) {
      return absl::PermissionDeniedError(
          "the token does not hold this keyring's root key object (destroyed by a root epoch, "
          "or another token)");
    }
    RETURN_IF_ERROR(
        FinishUnsealLocked(keys_internal::TokenRoot(options_.token, key_id, options_.random)));
    // A restored backup is wrapped under its backup key, which other backups
    // share and which dies at their expiry: move to a root of its own.
    if (backup_expiry != 0) {
      absl::StatusOr<uint32_t> rotated = RotateTokenRootLocked(/*retire_old=*/false);
      if (!rotated.ok()) {
        root_.reset();
        signing_key_.reset();
        root_key_ready_.store(false, std::memory_order_release);
        return rotated.status();
      }
    }
  }
  return DestroyRetiredLocked();
}

absl::Status KeyHierarchy::CheckToken() {
  if (options_.token == nullptr || !initialized()) return absl::OkStatus();
  if (seal_kind() != records::SealConfig::PKCS11) return absl::OkStatus();
  absl::Status ping = options_.token->Ping();
  if (!ping.ok()) {
    if (!sealed()) Seal();
    return ping;
  }
  RETURN_IF_ERROR(UnsealWithTokenImpl(/*scheduler=*/true));
  bool requested = false;
  {
    std::shared_lock lock(mu_);
    requested = !seal_held_ && root_ != nullptr && !keyring_->root_epoch_requests().empty();
  }
  if (requested) return RotateRoot().status();
  return absl::OkStatus();
}

absl::Status KeyHierarchy::CloseRootEpoch(std::string_view tenant, absl::Time cutoff) {
  if (!token_root()) return absl::OkStatus();
  {
    // Recorded first, sealed or not: the scheduler runs it once unsealed.
    std::unique_lock lock(mu_);
    if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
    records::Keyring next = *keyring_;
    records::ShredEpochRef* request = next.add_root_epoch_requests();
    request->set_tenant(std::string(tenant));
    request->set_cutoff_unix_ms(ToMs(cutoff));
    RETURN_IF_ERROR(PersistLocked(std::move(next)));
  }
  return RotateRoot().status();
}

std::optional<absl::Time> KeyHierarchy::FinalAt(std::string_view tenant,
                                                absl::Time shredded_at) const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return std::nullopt;
  const int64_t ms = ToMs(shredded_at);
  for (const records::RootEpoch& epoch : keyring_->root_epochs()) {
    for (const records::ShredEpochRef& covered : epoch.covers()) {
      if (covered.tenant() == tenant && covered.cutoff_unix_ms() > ms) {
        return FromMs(epoch.closed_at_unix_ms());
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<uint32_t> KeyHierarchy::RotateTokenRootLocked(bool retire_old) {
  if (options_.token == nullptr) return SealedError();
  records::Keyring next = *keyring_;
  const uint32_t version = next.root_key_version() + 1;
  const std::string old_id = next.seal().pkcs11_key_id();
  const std::string new_id = options_.random->Bytes(kKeyIdSize);
  RETURN_IF_ERROR(options_.token->GenerateKey(new_id, RootObjectLabel(version)));
  std::unique_ptr<keys_internal::RootKey> to =
      keys_internal::TokenRoot(options_.token, new_id, options_.random);
  // No keyring names the new object yet: it can go.
  absl::Status rewrapped = RewrapAllLocked(*to, &next);
  if (!rewrapped.ok()) {
    (void)options_.token->DestroyKey(new_id);
    return rewrapped;
  }
  next.mutable_seal()->set_pkcs11_key_id(new_id);
  next.set_root_key_version(version);
  // Listed before the keyring that stops needing it is durable, so that a
  // crash between the two steps still destroys it at the next unseal.
  if (retire_old) {
    next.add_pkcs11_retired_key_ids(old_id);
    // The shred epochs closed so far are covered once the old object is gone.
    for (const records::ShredEpochRef& r : next.root_epoch_requests()) {
      *next.add_pending_root_epoch_covers() = r;
    }
    next.clear_root_epoch_requests();
  }
  next.set_backup_expires_at_unix_ms(0);
  absl::Status persisted = PersistDestructiveLocked(std::move(next));
  // A failed write may still have left the new keyring durable in a slot,
  // where it names the new object: never destroy it here (an orphan object
  // opens nothing a keyring does not name).
  if (keyring_->root_key_version() != version) return persisted;
  root_ = std::move(to);
  if (!persisted.ok()) return persisted;
  RETURN_IF_ERROR(DestroyRetiredLocked());
  return version;
}

absl::Status KeyHierarchy::DestroyRetiredLocked() {
  if (keyring_->pkcs11_retired_key_ids().empty()) return absl::OkStatus();
  absl::Status first;
  records::Keyring next = *keyring_;
  next.clear_pkcs11_retired_key_ids();
  for (const std::string& id : keyring_->pkcs11_retired_key_ids()) {
    absl::Status destroyed = options_.token->DestroyKey(id);
    if (!destroyed.ok()) {
      first.Update(destroyed);
      next.add_pkcs11_retired_key_ids(id);
    }
  }
  if (next.pkcs11_retired_key_ids().empty()) {
    records::RootEpoch* epoch = next.add_root_epochs();
    epoch->set_closed_at_unix_ms(ToMs(options_.clock->Now()));
    *epoch->mutable_covers() = keyring_->pending_root_epoch_covers();
    next.clear_pending_root_epoch_covers();
  }
  first.Update(PersistLocked(std::move(next)));
  return first;
}

}  // namespace vault
