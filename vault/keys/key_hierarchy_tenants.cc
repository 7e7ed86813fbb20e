// KeyHierarchy: tenants, their KEK versions (create, rotate, destroy) and
// subkeys, and the system subkeys. See key_hierarchy.cc for the rest.
#include <algorithm>
#include <mutex>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "crypto/hashing.h"
#include "vault/keys/internal/keyring_layout.h"
#include "vault/keys/internal/root_key.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/record_keys.h"

namespace vault {

using crypto::SecretBytes;
using keys_internal::FromMs;
using keys_internal::KekAd;
using keys_internal::KekCacheId;
using keys_internal::SubkeyCacheId;
using keys_internal::SubkeyRootAd;
using keys_internal::SystemSecretAd;
using keys_internal::SystemSubkeyCacheId;
using keys_internal::ToMs;

const records::TenantKeys* KeyHierarchy::FindTenantLocked(std::string_view tenant) const {
  if (!keyring_.has_value()) return nullptr;
  for (const records::TenantKeys& t : keyring_->tenants()) {
    if (t.tenant() == tenant) return &t;
  }
  return nullptr;
}

// Residency: a node with a region serves the tenants of exactly that
// region; a tenant without a residency belongs to no region, so no regional
// node serves it (docs/operations.md, "Residency").
absl::Status KeyHierarchy::ServedLocked(const records::TenantKeys& t) const {
  if (options_.region.empty() || t.residency() == options_.region) return absl::OkStatus();
  if (t.residency().empty()) {
    return absl::PermissionDeniedError(Cat("tenant ", t.tenant(),
                                           " has no residency; this node serves only region ",
                                           options_.region));
  }
  return absl::PermissionDeniedError(Cat("tenant ", t.tenant(), "'s data resides in region ",
                                         t.residency(), "; this node serves region ",
                                         options_.region));
}

absl::Status KeyHierarchy::CheckRegion(std::string_view tenant) const {
  if (options_.region.empty()) return absl::OkStatus();
  std::shared_lock lock(mu_);
  const records::TenantKeys* t = FindTenantLocked(tenant);
  return t == nullptr ? absl::OkStatus() : ServedLocked(*t);
}

absl::Status KeyHierarchy::CheckResidency(std::string_view tenant,
                                          std::string_view residency) const {
  if (options_.region.empty() || residency.empty() || residency == options_.region) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(Cat("tenant ", tenant, " would reside in region ", residency,
                                         "; this node serves region ", options_.region,
                                         ": create it on a node of region ", residency));
}

absl::StatusOr<std::string> KeyHierarchy::Residency(std::string_view tenant) const {
  std::shared_lock lock(mu_);
  const records::TenantKeys* t = FindTenantLocked(tenant);
  if (t == nullptr) return absl::NotFoundError("unknown tenant");
  return t->residency();
}

absl::Status KeyHierarchy::NoForeignKeysLocked(const records::Keyring& keyring) const {
  if (options_.region.empty()) return absl::OkStatus();
  for (const records::TenantKeys& t : keyring.tenants()) {
    if (t.erased() || ServedLocked(t).ok()) continue;
    return absl::FailedPreconditionError(Cat(
        "the keyring holds keys of tenant ", t.tenant(), " of another region; this node (",
        "region ", options_.region, ") never unwraps them: run this on a node without --region"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> KeyHierarchy::NewWrappedKekLocked(std::string_view tenant,
                                                              uint32_t version,
                                                              records::KekVersion* out) {
  absl::StatusOr<SecretBytes> kek = options_.random->Secret(kKeySize);
  if (!kek.ok()) return kek.status();
  absl::StatusOr<std::string> wrapped = root_->Wrap(*kek, KekAd(tenant, version));
  if (!wrapped.ok()) return wrapped.status();
  out->set_version(version);
  out->set_wrapped_key(*wrapped);
  out->set_state(records::KekVersion::ACTIVE);
  out->set_created_at_unix_ms(ToMs(options_.clock->Now()));
  return kek;
}

absl::Status KeyHierarchy::CreateTenant(std::string_view tenant, std::string_view residency) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(CheckResidency(tenant, residency));
  std::unique_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  if (FindTenantLocked(tenant) != nullptr) return absl::AlreadyExistsError("tenant already exists");
  records::Keyring next = *keyring_;
  records::TenantKeys* t = next.add_tenants();
  t->set_tenant(std::string(tenant));
  // On a regional node a tenant created without a residency stays there.
  t->set_residency(std::string(residency.empty() ? std::string_view(options_.region) : residency));
  t->set_created_at_unix_ms(ToMs(options_.clock->Now()));
  absl::StatusOr<SecretBytes> kek = NewWrappedKekLocked(tenant, 1, t->add_keks());
  if (!kek.ok()) return kek.status();
  absl::StatusOr<SecretBytes> subkey_root = options_.random->Secret(kKeySize);
  if (!subkey_root.ok()) return subkey_root.status();
  absl::StatusOr<std::string> wrapped_root = root_->Wrap(*subkey_root, SubkeyRootAd(tenant));
  if (!wrapped_root.ok()) return wrapped_root.status();
  t->set_wrapped_subkey_root(*wrapped_root);
  return PersistLocked(std::move(next));
}

absl::StatusOr<TenantInfo> KeyHierarchy::GetTenant(std::string_view tenant) const {
  std::shared_lock lock(mu_);
  if (!root_ready()) return SealedError();
  const records::TenantKeys* t = FindTenantLocked(tenant);
  if (t == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*t));
  if (t->erased()) return GoneError("the tenant was erased");
  TenantInfo info{t->tenant(), t->residency(), FromMs(t->created_at_unix_ms()), 0};
  for (const records::KekVersion& k : t->keks()) {
    if (k.state() == records::KekVersion::ACTIVE) info.active_kek_version = k.version();
  }
  return info;
}

absl::StatusOr<std::vector<TenantInfo>> KeyHierarchy::ListTenants() const {
  std::vector<TenantInfo> out;
  std::vector<std::string> ids;
  {
    std::shared_lock lock(mu_);
    if (!root_ready()) return SealedError();
    for (const records::TenantKeys& t : keyring_->tenants()) {
      if (!t.erased() && ServedLocked(t).ok()) ids.push_back(t.tenant());
    }
  }
  for (const std::string& id : ids) {
    absl::StatusOr<TenantInfo> info = GetTenant(id);
    if (!info.ok()) return info.status();
    out.push_back(std::move(*info));
  }
  return out;
}

absl::StatusOr<KeyCache::Key> KeyHierarchy::GetKek(std::string_view tenant, uint32_t version) {
  if (!root_ready()) return SealedError();
  std::string cache_id = KekCacheId(tenant, version);
  if (KeyCache::Key hit = cache_.Get(cache_id)) return hit;
  std::shared_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  const records::TenantKeys* t = FindTenantLocked(tenant);
  if (t == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*t));  // never unwrapped on a node of another region
  for (const records::KekVersion& k : t->keks()) {
    if (k.version() != version) continue;
    if (k.state() == records::KekVersion::DESTROYED) return GoneError("key version destroyed");
    absl::StatusOr<SecretBytes> kek = root_->Unwrap(k.wrapped_key(), KekAd(tenant, version));
    if (!kek.ok()) return kek.status();
    auto shared = std::make_shared<const SecretBytes>(std::move(*kek));
    cache_.Put(cache_id, shared);
    return KeyCache::Key(shared);
  }
  return absl::NotFoundError("unknown key version");
}

absl::StatusOr<ActiveKek> KeyHierarchy::GetActiveKek(std::string_view tenant) {
  absl::StatusOr<TenantInfo> info = GetTenant(tenant);
  if (!info.ok()) return info.status();
  absl::StatusOr<KeyCache::Key> key = GetKek(tenant, info->active_kek_version);
  if (!key.ok()) return key.status();
  return ActiveKek{info->active_kek_version, std::move(*key)};
}

absl::StatusOr<uint32_t> KeyHierarchy::RotateKek(std::string_view tenant) {
  std::unique_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  if (FindTenantLocked(tenant) == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*FindTenantLocked(tenant)));
  if (FindTenantLocked(tenant)->erased()) return GoneError("the tenant was erased");
  records::Keyring next = *keyring_;
  records::TenantKeys* t = nullptr;
  for (records::TenantKeys& candidate : *next.mutable_tenants()) {
    if (candidate.tenant() == tenant) t = &candidate;
  }
  uint32_t newest = 0;
  for (records::KekVersion& k : *t->mutable_keks()) {
    newest = std::max(newest, k.version());
    if (k.state() == records::KekVersion::ACTIVE) k.set_state(records::KekVersion::RETIRED);
  }
  absl::StatusOr<SecretBytes> kek = NewWrappedKekLocked(tenant, newest + 1, t->add_keks());
  if (!kek.ok()) return kek.status();
  RETURN_IF_ERROR(PersistLocked(std::move(next)));
  return newest + 1;
}

absl::StatusOr<std::vector<uint32_t>> KeyHierarchy::EraseTenant(std::string_view tenant) {
  std::unique_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  const records::TenantKeys* found = FindTenantLocked(tenant);
  if (found == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*found));
  if (found->erased()) return GoneError("the tenant was erased");
  records::Keyring next = *keyring_;
  std::vector<uint32_t> destroyed = MarkTenantErased(&next, tenant, ToMs(options_.clock->Now()));
  RETURN_IF_ERROR(PersistDestructiveLocked(std::move(next)));
  cache_.ErasePrefix(Cat("k|", tenant, "|"));
  cache_.ErasePrefix(Cat("s|", tenant, "|"));
  return destroyed;
}

absl::StatusOr<std::vector<uint32_t>> KeyHierarchy::DestroyRetiredKeks(std::string_view tenant) {
  absl::StatusOr<std::vector<KekInfo>> keks = ListKeks(tenant);
  if (!keks.ok()) return keks.status();
  std::vector<uint32_t> retired;
  for (const KekInfo& k : *keks) {
    if (k.state == records::KekVersion::RETIRED) retired.push_back(k.version);
  }
  return DestroyKekVersions(tenant, retired);
}

absl::StatusOr<std::vector<uint32_t>> KeyHierarchy::DestroyKekVersions(
    std::string_view tenant, const std::vector<uint32_t>& versions) {
  std::unique_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  const records::TenantKeys* found = FindTenantLocked(tenant);
  if (found == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*found));
  if (found->erased()) return GoneError("the tenant was erased");
  records::Keyring next = *keyring_;
  std::vector<uint32_t> destroyed;
  const int64_t now_ms = ToMs(options_.clock->Now());
  for (records::TenantKeys& t : *next.mutable_tenants()) {
    if (t.tenant() != tenant) continue;
    for (records::KekVersion& k : *t.mutable_keks()) {
      if (std::find(versions.begin(), versions.end(), k.version()) == versions.end()) continue;
      if (k.state() == records::KekVersion::ACTIVE) {
        return absl::FailedPreconditionError("the active key version cannot be destroyed");
      }
      if (k.state() == records::KekVersion::DESTROYED) continue;
      k.set_state(records::KekVersion::DESTROYED);
      k.clear_wrapped_key();
      k.set_destroyed_at_unix_ms(now_ms);
      destroyed.push_back(k.version());
    }
  }
  if (destroyed.empty()) return destroyed;
  RETURN_IF_ERROR(PersistDestructiveLocked(std::move(next)));
  for (uint32_t v : destroyed) cache_.Erase(KekCacheId(tenant, v));
  return destroyed;
}

absl::StatusOr<std::vector<KekInfo>> KeyHierarchy::ListKeks(std::string_view tenant) const {
  std::shared_lock lock(mu_);
  if (!root_ready()) return SealedError();
  const records::TenantKeys* t = FindTenantLocked(tenant);
  if (t == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*t));
  std::vector<KekInfo> out;
  for (const records::KekVersion& k : t->keks()) {
    out.push_back(
        {k.version(), k.state(), FromMs(k.created_at_unix_ms()), FromMs(k.destroyed_at_unix_ms())});
  }
  return out;
}

absl::StatusOr<KeyCache::Key> KeyHierarchy::GetTenantSubkey(std::string_view tenant,
                                                            TenantSubkey which) {
  if (!root_ready()) return SealedError();
  std::string cache_id = SubkeyCacheId(tenant, which);
  if (KeyCache::Key hit = cache_.Get(cache_id)) return hit;
  std::shared_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  const records::TenantKeys* t = FindTenantLocked(tenant);
  if (t == nullptr) return absl::NotFoundError("unknown tenant");
  RETURN_IF_ERROR(ServedLocked(*t));
  if (t->erased()) return GoneError("the tenant was erased");
  absl::StatusOr<SecretBytes> subkey_root =
      root_->Unwrap(t->wrapped_subkey_root(), SubkeyRootAd(tenant));
  if (!subkey_root.ok()) return subkey_root.status();
  absl::StatusOr<SecretBytes> subkey =
      crypto::DeriveSubkey(*subkey_root, static_cast<uint64_t>(which), "vtenant1", kKeySize);
  if (!subkey.ok()) return subkey.status();
  auto shared = std::make_shared<const SecretBytes>(std::move(*subkey));
  cache_.Put(cache_id, shared);
  return KeyCache::Key(shared);
}

absl::StatusOr<KeyCache::Key> KeyHierarchy::GetSystemSubkey(SystemSubkey which) {
  if (!root_ready()) return SealedError();
  const std::string cache_id = SystemSubkeyCacheId(which);
  if (KeyCache::Key hit = cache_.Get(cache_id)) return hit;
  std::shared_lock lock(mu_);
  if (root_ == nullptr) return SealedError();
  absl::StatusOr<SecretBytes> secret =
      root_->Unwrap(keyring_->wrapped_system_secret(), SystemSecretAd());
  if (!secret.ok()) return secret.status();
  absl::StatusOr<SecretBytes> subkey =
      crypto::DeriveSubkey(*secret, static_cast<uint64_t>(which), "vsystem1", kKeySize);
  if (!subkey.ok()) return subkey.status();
  auto shared = std::make_shared<const SecretBytes>(std::move(*subkey));
  cache_.Put(cache_id, shared);
  return KeyCache::Key(shared);
}

std::vector<uint32_t> MarkTenantErased(records::Keyring* keyring, std::string_view tenant,
                                       int64_t now_ms) {
  std::vector<uint32_t> destroyed;
  for (records::TenantKeys& t : *keyring->mutable_tenants()) {
    if (t.tenant() != tenant) continue;
    for (records::KekVersion& k : *t.mutable_keks()) {
      if (k.state() != records::KekVersion::DESTROYED) destroyed.push_back(k.version());
      k.set_state(records::KekVersion::DESTROYED);
      k.clear_wrapped_key();
      if (k.destroyed_at_unix_ms() == 0) k.set_destroyed_at_unix_ms(now_ms);
    }
    if (!t.erased()) t.set_erased_at_unix_ms(now_ms);
    t.clear_wrapped_subkey_root();
    t.set_erased(true);
  }
  return destroyed;
}

}  // namespace vault
