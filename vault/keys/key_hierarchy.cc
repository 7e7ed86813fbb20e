// KeyHierarchy: opening, initialisation (key file, passphrase, Shamir),
// unseal and seal, root rotation, signing and the audit anchor. Tenants,
// KEKs and subkeys are in key_hierarchy_tenants.cc. Every keyring change is
// copy, modify, persist (both slots, fsynced), then swap in memory: a failed
// persist changes nothing.
#include "vault/keys/key_hierarchy.h"

#include <algorithm>
#include <mutex>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/keys/api_keys.h"
#include "vault/keys/internal/key_file.h"
#include "vault/keys/internal/keyring_layout.h"
#include "vault/keys/internal/root_key.h"
#include "vault/model/record_keys.h"

namespace vault {

using crypto::SecretBytes;
using crypto::XChaCha20Poly1305;
using keys_internal::KekAd;
using keys_internal::ReadKeyFile;
using keys_internal::RootAd;
using keys_internal::SigningSeedAd;
using keys_internal::SubkeyRootAd;
using keys_internal::SystemSecretAd;
using keys_internal::ToMs;

KeyHierarchy::KeyHierarchy(KeyHierarchyOptions options)
    : options_(std::move(options)),
      store_(options_.keyring_kv != nullptr
                 ? std::unique_ptr<KeyringStore>(std::make_unique<KvKeyring>(options_.keyring_kv))
                 : std::make_unique<KeyringFile>(options_.dir, options_.env)),
      cache_(options_.kek_cache_capacity) {}

KeyHierarchy::~KeyHierarchy() = default;

absl::StatusOr<std::unique_ptr<KeyHierarchy>> KeyHierarchy::Open(KeyHierarchyOptions options) {
  if (options.clock == nullptr || options.random == nullptr) {
    return absl::InvalidArgumentError("key hierarchy needs a clock and a random source");
  }
  if (options.env == nullptr) return absl::InvalidArgumentError("key hierarchy needs an Env");
  std::unique_ptr<KeyHierarchy> keys(new KeyHierarchy(std::move(options)));
  absl::StatusOr<std::optional<records::Keyring>> loaded = keys->store_->Load();
  if (!loaded.ok()) return loaded.status();
  keys->keyring_ = std::move(*loaded);
  return keys;
}

bool KeyHierarchy::initialized() const {
  std::shared_lock lock(mu_);
  return keyring_.has_value();
}

records::SealConfig::Kind KeyHierarchy::seal_kind() const {
  std::shared_lock lock(mu_);
  return keyring_.has_value() ? keyring_->seal().kind() : records::SealConfig::KIND_UNSPECIFIED;
}

absl::Status KeyHierarchy::PersistLocked(records::Keyring next) {
  next.set_generation(keyring_.has_value() ? keyring_->generation() + 1 : 1);
  absl::Status stored = store_->Store(next);
  if (storage::IsExpectationFailed(stored)) stored = ReapplyOnNewerAnchorLocked(&next);
  if (storage::IsExpectationFailed(stored)) {
    // Another node changed the keyring since this one loaded it: nothing
    // was written; take its keyring, and let the caller try again on it.
    absl::StatusOr<bool> must_seal = ReloadLocked();
    if (must_seal.ok() && *must_seal) {
      root_key_ready_.store(false, std::memory_order_release);
      root_.reset();
      signing_key_.reset();
      unseal_key_.reset();
    }
    return absl::UnavailableError("the keyring was changed by another node; try again");
  }
  RETURN_IF_ERROR(stored);
  keyring_ = std::move(next);
  return absl::OkStatus();
}

absl::Status KeyHierarchy::PersistDestructiveLocked(records::Keyring next) {
  records::Keyring copy = next;
  RETURN_IF_ERROR(PersistLocked(std::move(next)));
  // A shared store keeps older row versions until vacuumed; the scheduler's
  // compaction vacuums again if this fails.
  (void)store_->Purge();
  if (!store_->second_slot_stale()) return absl::OkStatus();
  // Write the same content again (a new generation): the stale slot is now
  // the one written first.
  RETURN_IF_ERROR(PersistLocked(std::move(copy)));
  if (store_->second_slot_stale()) {
    return absl::UnavailableError("keyring: the older slot could not be overwritten");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyHierarchy::InitializeLocked(const SecretBytes& unseal_key,
                                                           records::SealConfig seal) {
  if (keyring_.has_value()) return absl::FailedPreconditionError("vault is already initialised");
  if (unseal_key.size() != kKeySize)
    return absl::InvalidArgumentError("unseal key must be 32 bytes");
  ASSIGN_OR_RETURN(SecretBytes root, options_.random->Secret(kKeySize));
  records::Keyring next;
  *next.mutable_seal() = std::move(seal);
  ASSIGN_OR_RETURN(std::string wrapped_root,
                   XChaCha20Poly1305::EncryptSecret(unseal_key, root, RootAd(1), *options_.random));
  next.set_wrapped_root_key(std::move(wrapped_root));
  return InitializeRootLocked(keys_internal::SoftwareRoot(std::move(root), options_.random),
                              std::move(next));
}

absl::StatusOr<std::string> KeyHierarchy::InitializeRootLocked(
    std::unique_ptr<keys_internal::RootKey> root, records::Keyring next) {
  crypto::RandomSource& random = *options_.random;
  ASSIGN_OR_RETURN(crypto::SigningKey signing, crypto::SigningKey::Generate(random));
  ASSIGN_OR_RETURN(SecretBytes system_secret, random.Secret(kKeySize));
  next.set_root_key_version(1);
  ASSIGN_OR_RETURN(std::string wrapped_seed, root->Wrap(signing.seed(), SigningSeedAd()));
  next.set_wrapped_signing_seed(std::move(wrapped_seed));
  next.set_signing_public_key(signing.public_key());
  ASSIGN_OR_RETURN(std::string wrapped_system, root->Wrap(system_secret, SystemSecretAd()));
  next.set_wrapped_system_secret(std::move(wrapped_system));

  std::string root_api_key = NewApiKey(random);
  ASSIGN_OR_RETURN(
      SecretBytes hash_key,
      crypto::DeriveSubkey(system_secret, static_cast<uint64_t>(SystemSubkey::kApiKeyHash),
                           "vsystem1", kKeySize));
  absl::StatusOr<std::string> root_hash = ApiKeyHash(hash_key, root_api_key);
  if (!root_hash.ok()) {
    crypto::SecureWipe(root_api_key);
    return root_hash.status();
  }
  next.set_root_api_key_hash(*root_hash);
  next.set_initialized_at_unix_ms(ToMs(options_.clock->Now()));
  if (absl::Status s = PersistLocked(std::move(next)); !s.ok()) {
    crypto::SecureWipe(root_api_key);
    return s;
  }
  return root_api_key;
}

absl::StatusOr<std::string> KeyHierarchy::InitializeWithUnsealKey(const SecretBytes& unseal_key,
                                                                  records::SealConfig seal) {
  std::unique_lock lock(mu_);
  return InitializeLocked(unseal_key, std::move(seal));
}

absl::StatusOr<std::string> KeyHierarchy::InitializeWithKeyFile(const std::string& key_file_path) {
  std::unique_lock lock(mu_);
  if (keyring_.has_value()) return absl::FailedPreconditionError("vault is already initialised");
  records::SealConfig seal;
  seal.set_kind(records::SealConfig::KEY_FILE);
  // A key file without a keyring is what a crash between the two writes
  // leaves behind: initialise with the key it holds instead of failing.
  absl::StatusOr<SecretBytes> existing = ReadKeyFile(*options_.env, key_file_path);
  if (existing.ok()) return InitializeLocked(*existing, std::move(seal));
  if (!absl::IsNotFound(existing.status())) return existing.status();
  absl::StatusOr<SecretBytes> unseal_key = options_.random->Secret(kKeySize);
  if (!unseal_key.ok()) return unseal_key.status();
  RETURN_IF_ERROR(keys_internal::WriteNewKeyFile(*options_.env, key_file_path, *unseal_key));
  absl::StatusOr<std::string> root_api_key = InitializeLocked(*unseal_key, std::move(seal));
  // No keyring slot was made durable when this fails, so the key is useless.
  if (!root_api_key.ok()) keys_internal::RemoveKeyFile(*options_.env, key_file_path);
  return root_api_key;
}

absl::StatusOr<std::string> KeyHierarchy::InitializeWithPassphrase(std::string_view passphrase) {
  std::unique_lock lock(mu_);
  if (keyring_.has_value()) return absl::FailedPreconditionError("vault is already initialised");
  records::SealConfig seal;
  seal.set_kind(records::SealConfig::PASSPHRASE);
  seal.set_argon2_salt(options_.random->Bytes(crypto::Argon2idParams::kSaltSize));
  seal.set_argon2_ops_limit(options_.argon2.ops_limit);
  seal.set_argon2_memory_limit(options_.argon2.memory_limit);
  absl::StatusOr<SecretBytes> unseal_key =
      crypto::DeriveKeyFromPassphrase(passphrase, seal.argon2_salt(), options_.argon2, kKeySize);
  if (!unseal_key.ok()) return unseal_key.status();
  return InitializeLocked(*unseal_key, std::move(seal));
}

absl::StatusOr<KeyHierarchy::ShamirInit> KeyHierarchy::InitializeWithShares(int shares,
                                                                            int threshold) {
  if (threshold < 2 || shares < threshold || shares > 255) {
    return absl::InvalidArgumentError("need 2 <= threshold <= shares <= 255");
  }
  absl::StatusOr<SecretBytes> unseal_key = options_.random->Secret(kKeySize);
  if (!unseal_key.ok()) return unseal_key.status();
  absl::StatusOr<std::vector<std::string>> split =
      crypto::SplitSecret(*unseal_key, shares, threshold);
  if (!split.ok()) return split.status();
  records::SealConfig seal;
  seal.set_kind(records::SealConfig::SHAMIR);
  seal.set_shamir_shares(static_cast<uint32_t>(shares));
  seal.set_shamir_threshold(static_cast<uint32_t>(threshold));
  absl::StatusOr<std::string> root_api_key = InitializeWithUnsealKey(*unseal_key, seal);
  if (!root_api_key.ok()) {
    for (std::string& share : *split) crypto::SecureWipe(share);
    return root_api_key.status();
  }
  return ShamirInit{std::move(*split), std::move(*root_api_key)};
}

absl::StatusOr<KeyHierarchy::UnsealProgress> KeyHierarchy::SubmitUnsealShare(
    std::string_view share) {
  records::SealConfig seal;
  {
    std::shared_lock lock(mu_);
    if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
    seal = keyring_->seal();
  }
  const int threshold = static_cast<int>(seal.shamir_threshold());
  if (seal.kind() != records::SealConfig::SHAMIR) {
    return absl::FailedPreconditionError("vault is not sealed with Shamir shares");
  }
  if (!sealed()) return UnsealProgress{false, 0, threshold};
  absl::StatusOr<crypto::DecodedShare> decoded = crypto::DecodeShare(share);
  if (!decoded.ok()) return decoded.status();
  std::lock_guard<std::mutex> lock(shares_mu_);
  for (const crypto::DecodedShare& have : pending_shares_) {
    if (have.x == decoded->x) return absl::InvalidArgumentError("this share was already given");
  }
  pending_shares_.push_back(std::move(*decoded));
  if (static_cast<int>(pending_shares_.size()) < threshold) {
    return UnsealProgress{true, static_cast<int>(pending_shares_.size()), threshold};
  }
  absl::StatusOr<SecretBytes> key = crypto::CombineShares(pending_shares_);
  pending_shares_.clear();
  if (!key.ok()) return key.status();
  RETURN_IF_ERROR(UnsealWithKey(*key));
  return UnsealProgress{false, 0, threshold};
}

absl::Status KeyHierarchy::UnsealWithKeyFile(const std::string& key_file_path) {
  if (!initialized()) return absl::FailedPreconditionError("vault is not initialised");
  if (seal_kind() != records::SealConfig::KEY_FILE) {
    return absl::FailedPreconditionError("vault is not sealed with a key file");
  }
  absl::StatusOr<SecretBytes> key = ReadKeyFile(*options_.env, key_file_path);
  if (!key.ok()) return key.status();
  return UnsealWithKey(*key);
}

absl::Status KeyHierarchy::UnsealWithPassphrase(std::string_view passphrase) {
  records::SealConfig seal;
  {
    std::shared_lock lock(mu_);
    if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
    seal = keyring_->seal();
  }
  if (seal.kind() != records::SealConfig::PASSPHRASE) {
    return absl::FailedPreconditionError("vault is not sealed with a passphrase");
  }
  crypto::Argon2idParams params{seal.argon2_ops_limit(), seal.argon2_memory_limit()};
  absl::StatusOr<SecretBytes> key =
      crypto::DeriveKeyFromPassphrase(passphrase, seal.argon2_salt(), params, kKeySize);
  if (!key.ok()) return key.status();
  return UnsealWithKey(*key);
}

absl::Status KeyHierarchy::UnsealWithKey(const SecretBytes& unseal_key) {
  std::unique_lock lock(mu_);
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  if (root_ != nullptr) return absl::OkStatus();
  if (keyring_->seal().kind() == records::SealConfig::PKCS11) {
    return absl::FailedPreconditionError("the vault's root key is in a PKCS#11 token");
  }
  absl::StatusOr<SecretBytes> root = XChaCha20Poly1305::DecryptSecret(
      unseal_key, keyring_->wrapped_root_key(), RootAd(keyring_->root_key_version()));
  if (!root.ok()) {
    return absl::PermissionDeniedError("unseal key does not open the keyring");
  }
  ASSIGN_OR_RETURN(SecretBytes kept, unseal_key.Clone());
  RETURN_IF_ERROR(
      FinishUnsealLocked(keys_internal::SoftwareRoot(std::move(*root), options_.random)));
  unseal_key_ = std::make_unique<SecretBytes>(std::move(kept));
  return absl::OkStatus();
}

absl::Status KeyHierarchy::FinishUnsealLocked(std::unique_ptr<keys_internal::RootKey> root) {
  absl::StatusOr<SecretBytes> seed =
      root->Unwrap(keyring_->wrapped_signing_seed(), SigningSeedAd());
  if (absl::IsDataLoss(seed.status())) {
    return absl::DataLossError("signing key in the keyring failed authentication");
  }
  if (!seed.ok()) return seed.status();
  ASSIGN_OR_RETURN(crypto::SigningKey signing, crypto::SigningKey::FromSeed(*seed));
  // The published key is stored in clear for use while sealed; it must be
  // the one the authenticated seed yields.
  if (!crypto::ConstantTimeEquals(signing.public_key(), keyring_->signing_public_key())) {
    return absl::DataLossError("keyring's signing public key does not match its signing key");
  }
  root_ = std::move(root);
  signing_key_ = std::make_unique<crypto::SigningKey>(std::move(signing));
  root_key_ready_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

// Another node stored only a newer audit anchor (once per audit checkpoint):
// this change applies unchanged on top of it, with the newer anchor kept.
absl::Status KeyHierarchy::ReapplyOnNewerAnchorLocked(records::Keyring* next) {
  absl::StatusOr<std::optional<records::Keyring>> latest = store_->Load();
  if (!latest.ok() || !latest->has_value() || !keyring_.has_value() ||
      !SameKeysIgnoringAnchor(**latest, *keyring_)) {
    return storage::ExpectationFailed();
  }
  const records::Keyring& stored = **latest;
  if (stored.has_audit_anchor() &&
      (!next->has_audit_anchor() || next->audit_anchor().seq() < stored.audit_anchor().seq())) {
    *next->mutable_audit_anchor() = stored.audit_anchor();
  }
  next->set_generation(stored.generation() + 1);
  return store_->Store(*next);
}

absl::StatusOr<bool> KeyHierarchy::ReloadLocked() {
  ASSIGN_OR_RETURN(std::optional<records::Keyring> loaded, store_->Load());
  if (!loaded.has_value()) return false;  // not initialised yet
  if (keyring_.has_value() && loaded->generation() == keyring_->generation()) return false;
  const bool root_changed = !keyring_.has_value() ||
                            loaded->root_key_version() != keyring_->root_key_version() ||
                            loaded->wrapped_root_key() != keyring_->wrapped_root_key();
  keyring_ = std::move(*loaded);
  cache_.Clear();  // a destroyed or rotated KEK must not stay usable here
  if (root_ == nullptr || !root_changed) return false;
  if (unseal_key_ == nullptr || keyring_->seal().kind() == records::SealConfig::PKCS11) return true;
  absl::StatusOr<SecretBytes> root = XChaCha20Poly1305::DecryptSecret(
      *unseal_key_, keyring_->wrapped_root_key(), RootAd(keyring_->root_key_version()));
  if (!root.ok()) return true;  // rekeyed elsewhere: this node's unseal key is old
  return !FinishUnsealLocked(keys_internal::SoftwareRoot(std::move(*root), options_.random)).ok();
}

absl::Status KeyHierarchy::Refresh() {
  absl::StatusOr<bool> must_seal;
  {
    std::unique_lock lock(mu_);
    must_seal = ReloadLocked();
  }
  if (!must_seal.ok()) return must_seal.status();
  if (*must_seal) Seal();
  return absl::OkStatus();
}

void KeyHierarchy::Seal() {
  {
    std::unique_lock lock(mu_);
    root_key_ready_.store(false, std::memory_order_release);
    root_.reset();
    signing_key_.reset();
    unseal_key_.reset();
    cache_.Clear();
  }
  CancelRekey();
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (const auto& listener : seal_listeners_) listener();
}

void KeyHierarchy::AddSealListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  seal_listeners_.push_back(std::move(listener));
}

absl::StatusOr<std::string> KeyHierarchy::RootApiKeyHash() const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  return keyring_->root_api_key_hash();
}

absl::StatusOr<std::string> KeyHierarchy::SigningPublicKey() const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  return keyring_->signing_public_key();
}

absl::StatusOr<std::string> KeyHierarchy::Sign(std::string_view message) const {
  std::shared_lock lock(mu_);
  if (signing_key_ == nullptr) return SealedError();
  return signing_key_->Sign(message);
}

absl::Status KeyHierarchy::WithKeyring(
    const std::function<absl::Status(const records::Keyring&)>& fn) const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  return fn(*keyring_);
}

std::optional<records::AuditAnchor> KeyHierarchy::audit_anchor() const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value() || !keyring_->has_audit_anchor()) return std::nullopt;
  return keyring_->audit_anchor();
}

absl::Status KeyHierarchy::StoreAuditAnchor(const records::AuditAnchor& anchor) {
  std::unique_lock lock(mu_);
  if (!keyring_.has_value()) return absl::FailedPreconditionError("vault is not initialised");
  if (keyring_->has_audit_anchor() && keyring_->audit_anchor().seq() >= anchor.seq()) {
    return absl::OkStatus();
  }
  records::Keyring next = *keyring_;
  *next.mutable_audit_anchor() = anchor;
  return PersistLocked(std::move(next));
}

absl::Status KeyHierarchy::RewrapAllLocked(keys_internal::RootKey& to, records::Keyring* next) {
  RETURN_IF_ERROR(NoForeignKeysLocked(*next));  // residency: no unwrap of another region's keys
  auto rewrap = [&](const std::string& wrapped,
                    const std::string& ad) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(SecretBytes key, root_->Unwrap(wrapped, ad));
    return to.Wrap(key, ad);
  };
  ASSIGN_OR_RETURN(std::string seed, rewrap(next->wrapped_signing_seed(), SigningSeedAd()));
  next->set_wrapped_signing_seed(std::move(seed));
  ASSIGN_OR_RETURN(std::string system, rewrap(next->wrapped_system_secret(), SystemSecretAd()));
  next->set_wrapped_system_secret(std::move(system));
  for (records::TenantKeys& t : *next->mutable_tenants()) {
    for (records::KekVersion& k : *t.mutable_keks()) {
      if (k.wrapped_key().empty()) continue;
      ASSIGN_OR_RETURN(std::string kek, rewrap(k.wrapped_key(), KekAd(t.tenant(), k.version())));
      k.set_wrapped_key(std::move(kek));
    }
    if (!t.wrapped_subkey_root().empty()) {
      ASSIGN_OR_RETURN(std::string sub, rewrap(t.wrapped_subkey_root(), SubkeyRootAd(t.tenant())));
      t.set_wrapped_subkey_root(std::move(sub));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> KeyHierarchy::RotateRoot() {
  std::unique_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  if (keyring_->seal().kind() == records::SealConfig::PKCS11) return RotateTokenRootLocked();
  if (unseal_key_ == nullptr) return SealedError();
  crypto::RandomSource& random = *options_.random;
  ASSIGN_OR_RETURN(SecretBytes next_root, random.Secret(kKeySize));
  records::Keyring next = *keyring_;
  const uint32_t version = next.root_key_version() + 1;
  ASSIGN_OR_RETURN(std::string wrapped_root, XChaCha20Poly1305::EncryptSecret(
                                                 *unseal_key_, next_root, RootAd(version), random));
  std::unique_ptr<keys_internal::RootKey> to =
      keys_internal::SoftwareRoot(std::move(next_root), &random);
  // Everything wrapped under the root key moves to the new one; nothing
  // stays wrapped under the old root.
  RETURN_IF_ERROR(RewrapAllLocked(*to, &next));
  next.set_wrapped_root_key(std::move(wrapped_root));
  next.set_root_key_version(version);
  absl::Status persisted = PersistDestructiveLocked(std::move(next));
  // Once one slot holds the new keyring, the new root is the one in force
  // (even if the second slot could not be rewritten).
  if (keyring_->root_key_version() == version) root_ = std::move(to);
  if (!persisted.ok()) return persisted;
  return version;
}

uint32_t KeyHierarchy::root_key_version() const {
  std::shared_lock lock(mu_);
  return keyring_.has_value() ? keyring_->root_key_version() : 0;
}

}  // namespace vault
