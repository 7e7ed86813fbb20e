// KeyHierarchy: rekey (new unseal shares for the same root key) and
// rotation of the root operator's API key. Both change one field of the
// keyring and rewrite both slots; a failed write puts the previous keyring
// back, so the shares or key the caller holds keep working unless the new
// ones were handed out.
// Thread-safety: see key_hierarchy.h (rekey_mu_ before mu_).
// Never logs or returns in an error a share, unseal key or API key.
#include <mutex>

#include "base/status.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "vault/keys/api_keys.h"
#include "vault/keys/internal/keyring_layout.h"
#include "vault/keys/key_hierarchy.h"

namespace vault {

using crypto::SecretBytes;
using crypto::XChaCha20Poly1305;
using keys_internal::RootAd;

namespace {

void WipeAll(std::vector<std::string>& shares) {
  for (std::string& share : shares) crypto::SecureWipe(share);
  shares.clear();
}

}  // namespace

absl::Status KeyHierarchy::CommitOrRollBackLocked(records::Keyring next,
                                                  const records::Keyring& previous) {
  const uint64_t generation_before = keyring_->generation();
  absl::Status persisted = PersistDestructiveLocked(std::move(next));
  if (persisted.ok()) return persisted;
  // keyring_ moved on iff the first slot of `next` became durable. A failed
  // write may still have left `next` readable in a slot (a failed fsync),
  // so the previous keyring is written back above every generation tried
  // (PersistDestructiveLocked tries at most two past keyring_'s).
  const bool next_in_force = keyring_->generation() != generation_before;
  records::Keyring back = previous;
  back.set_generation(keyring_->generation() + 2);
  if (store_->Store(back).ok()) {
    keyring_ = std::move(back);
    return persisted;
  }
  // Neither could be written in full. If `next` is durable it is the one in
  // force; the caller must hand out what it made.
  return next_in_force ? absl::OkStatus() : persisted;
}

absl::StatusOr<KeyHierarchy::RekeyProgress> KeyHierarchy::SubmitRekeyShare(
    int shares, int threshold, std::string_view share,
    const std::function<absl::Status()>& before_commit) {
  std::lock_guard<std::mutex> rekey_lock(rekey_mu_);
  records::SealConfig seal;
  {
    std::shared_lock lock(mu_);
    if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
    seal = keyring_->seal();
  }
  if (seal.kind() != records::SealConfig::SHAMIR) {
    return absl::FailedPreconditionError("vault is not sealed with Shamir shares");
  }
  if (sealed()) return SealedError();
  if (threshold < 2 || shares < threshold || shares > 255) {
    return absl::InvalidArgumentError("need 2 <= threshold <= shares <= 255");
  }
  if (rekey_.has_value() && (rekey_->shares != shares || rekey_->threshold != threshold)) {
    return absl::InvalidArgumentError(
        "shares and threshold differ from those of the rekey in progress (cancel it first)");
  }
  ASSIGN_OR_RETURN(crypto::DecodedShare decoded, crypto::DecodeShare(share));
  if (!rekey_.has_value()) rekey_ = PendingRekey{shares, threshold, {}};
  for (const crypto::DecodedShare& have : rekey_->given) {
    if (have.x == decoded.x) return absl::InvalidArgumentError("this share was already given");
  }
  rekey_->given.push_back(std::move(decoded));
  const int current_threshold = static_cast<int>(seal.shamir_threshold());
  const int given = static_cast<int>(rekey_->given.size());
  if (given < current_threshold) return RekeyProgress{false, given, current_threshold, {}};
  // Whatever the outcome, this attempt ends here (a wrong combination
  // starts over, as unseal does); its shares are wiped with it.
  PendingRekey attempt = std::move(*rekey_);
  rekey_.reset();
  return CompleteRekeyLocked(attempt, before_commit);
}

absl::StatusOr<KeyHierarchy::RekeyProgress> KeyHierarchy::CompleteRekeyLocked(
    const PendingRekey& rekey, const std::function<absl::Status()>& before) {
  ASSIGN_OR_RETURN(SecretBytes old_unseal_key, crypto::CombineShares(rekey.given));
  // REQUIRES: mu_ held.
  auto opens_keyring = [&] {
    return XChaCha20Poly1305::DecryptSecret(old_unseal_key, keyring_->wrapped_root_key(),
                                            RootAd(keyring_->root_key_version()));
  };
  {
    std::shared_lock lock(mu_);
    if (root_ == nullptr) return SealedError();
    if (!opens_keyring().ok()) {
      return absl::PermissionDeniedError("unseal shares do not open the keyring");
    }
  }
  if (before) RETURN_IF_ERROR(before());
  crypto::RandomSource& random = *options_.random;
  ASSIGN_OR_RETURN(SecretBytes new_unseal_key, random.Secret(kKeySize));
  ASSIGN_OR_RETURN(std::vector<std::string> new_shares,
                   crypto::SplitSecret(new_unseal_key, rekey.shares, rekey.threshold));
  std::unique_lock lock(mu_);
  // Checked again under the exclusive lock: the vault may have been sealed,
  // or the root rotated (same unseal key, new wrapping), meanwhile.
  if (root_ == nullptr) {
    WipeAll(new_shares);
    return SealedError();
  }
  absl::StatusOr<SecretBytes> root = opens_keyring();
  if (!root.ok()) {
    WipeAll(new_shares);
    return absl::PermissionDeniedError("unseal shares do not open the keyring");
  }
  const records::Keyring previous = *keyring_;
  records::Keyring next = previous;
  absl::StatusOr<std::string> wrapped = XChaCha20Poly1305::EncryptSecret(
      new_unseal_key, *root, RootAd(next.root_key_version()), random);
  if (!wrapped.ok()) {
    WipeAll(new_shares);
    return wrapped.status();
  }
  next.set_wrapped_root_key(*wrapped);
  next.mutable_seal()->set_shamir_shares(static_cast<uint32_t>(rekey.shares));
  next.mutable_seal()->set_shamir_threshold(static_cast<uint32_t>(rekey.threshold));
  if (absl::Status s = CommitOrRollBackLocked(std::move(next), previous); !s.ok()) {
    WipeAll(new_shares);
    return s;
  }
  // RotateRoot wraps the next root key under this one.
  unseal_key_ = std::make_unique<SecretBytes>(std::move(new_unseal_key));
  return RekeyProgress{true, 0, rekey.threshold, std::move(new_shares)};
}

bool KeyHierarchy::CancelRekey() {
  std::lock_guard<std::mutex> lock(rekey_mu_);
  const bool was = rekey_.has_value();
  rekey_.reset();  // SecretBytes wipe the shares' bytes
  return was;
}

absl::StatusOr<std::string> KeyHierarchy::RotateRootApiKey() {
  ASSIGN_OR_RETURN(KeyCache::Key hash_key, GetSystemSubkey(SystemSubkey::kApiKeyHash));
  std::string api_key = NewApiKey(*options_.random);
  absl::StatusOr<std::string> hash = ApiKeyHash(*hash_key, api_key);
  std::unique_lock lock(mu_);
  absl::Status s = hash.status();
  if (s.ok() && root_ == nullptr) s = SealedError();
  if (s.ok()) {
    const records::Keyring previous = *keyring_;
    records::Keyring next = previous;
    next.set_root_api_key_hash(*hash);
    s = CommitOrRollBackLocked(std::move(next), previous);
  }
  if (!s.ok()) {
    crypto::SecureWipe(api_key);
    return s;
  }
  return api_key;
}

}  // namespace vault
