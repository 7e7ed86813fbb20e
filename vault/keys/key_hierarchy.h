// KeyHierarchy: unseal key -> root key -> tenant KEKs (versioned) and tenant
// subkey roots, plus the vault's Ed25519 signing key. Owns the keyring file
// and the sealed/unsealed state: while sealed it hands out no key at all.
// Unwrapped keys live only in locked memory (SecretBytes), in a bounded cache
// that Seal() empties.
// Thread-safety: all methods are safe for concurrent use.
// Never logs, returns in errors, or writes to disk an unwrapped key.
#ifndef VAULT_KEYS_KEY_HIERARCHY_H_
#define VAULT_KEYS_KEY_HIERARCHY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/passphrase.h"
#include "crypto/pkcs11_token.h"
#include "crypto/random.h"
#include "crypto/shamir.h"
#include "crypto/signing.h"
#include "vault/keys/key_cache.h"
#include "vault/keys/keyring_file.h"
#include "vault/model/records.pb.h"

namespace vault {
namespace keys_internal {
class RootKey;
}

// Subkeys derived from a tenant's subkey root (stable across KEK rotation).
enum class TenantSubkey : uint64_t { kToken = 1, kBlindIndex = 2, kHash = 3 };

// Subkeys derived from the vault-level system secret.
enum class SystemSubkey : uint64_t { kApiKeyHash = 1, kAuditMac = 2 };

struct TenantInfo {
  std::string id;
  std::string residency;
  absl::Time created_at;
  uint32_t active_kek_version = 0;
};

struct KekInfo {
  uint32_t version = 0;
  records::KekVersion::State state = records::KekVersion::STATE_UNSPECIFIED;
  absl::Time created_at;
  absl::Time destroyed_at;
};

struct ActiveKek {
  uint32_t version = 0;
  KeyCache::Key key;
};

struct KeyHierarchyOptions {
  // Folder for the keyring slots; must exist (unless keyring_kv is set).
  std::string dir;
  // A store several nodes share (KvStore::shared()): the keyring lives in
  // it (KvKeyring) rather than in `dir`. Not owned.
  storage::KvStore* keyring_kv = nullptr;
  base::Env* env = &base::Env::Posix();    // keyring slots, key file, backups
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  crypto::Argon2idParams argon2;
  size_t kek_cache_capacity = 4096;
  // The PKCS#11 token holding the root key object (not owned); null = the
  // root key is software, wrapped under an unseal key (file root).
  crypto::Pkcs11Token* token = nullptr;
  // Residency (vaultd --region): when set, only tenants whose residency is
  // exactly this region are served; the keys of every other tenant are
  // never unwrapped (PERMISSION_DENIED naming both regions). Empty: every
  // tenant is served.
  std::string region;
};

// Marks `tenant` erased in `keyring`: every KEK version destroyed (wrapped
// bytes removed) and the subkey root removed. Returns the versions destroyed.
std::vector<uint32_t> MarkTenantErased(records::Keyring* keyring, std::string_view tenant,
                                       int64_t now_ms);

class KeyHierarchy {
 public:
  static constexpr size_t kKeySize = 32;

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KeyHierarchy>> Open(
      KeyHierarchyOptions options);
  ~KeyHierarchy();

  bool initialized() const;
  bool sealed() const { return !root_ready(); }
  records::SealConfig::Kind seal_kind() const;

  // Initialisation creates the root key, the signing key, the system secret,
  // the root operator's API key and the keyring, and leaves the vault
  // sealed. Returns the root API key: it is shown only here (only its keyed
  // hash is kept). FAILED_PRECONDITION when already initialised.
  // Dev mode: a fresh random unseal key is written to `key_file_path` (0600,
  // whole or not at all, through options.env); if the file already exists
  // (a crash before the keyring was written), the key it holds is used.
  [[nodiscard]] absl::StatusOr<std::string> InitializeWithKeyFile(const std::string& key_file_path);
  [[nodiscard]] absl::StatusOr<std::string> InitializeWithPassphrase(std::string_view passphrase);
  // For unseal keys made elsewhere (Shamir shares are combined by the caller).
  [[nodiscard]] absl::StatusOr<std::string> InitializeWithUnsealKey(
      const crypto::SecretBytes& unseal_key, records::SealConfig seal);

  // Shamir: a fresh unseal key split into `shares`, any `threshold` of which
  // unseal; the key itself is never stored. Returns the shares and the
  // root API key.
  struct ShamirInit {
    std::vector<std::string> shares;
    std::string root_api_key;
  };
  [[nodiscard]] absl::StatusOr<ShamirInit> InitializeWithShares(int shares, int threshold);

  // Adds one share; at the threshold the shares are combined and the vault
  // unseals (or, with a wrong combination, PERMISSION_DENIED and progress
  // starts over). INVALID_ARGUMENT for a malformed or repeated share.
  struct UnsealProgress {
    bool sealed = true;
    int progress = 0;
    int threshold = 0;
  };
  [[nodiscard]] absl::StatusOr<UnsealProgress> SubmitUnsealShare(std::string_view share);

  // PERMISSION_DENIED when the key does not open the keyring (wrong file,
  // passphrase or shares); FAILED_PRECONDITION when not initialised or the
  // method does not match the seal configuration.
  [[nodiscard]] absl::Status UnsealWithKeyFile(const std::string& key_file_path);
  [[nodiscard]] absl::Status UnsealWithPassphrase(std::string_view passphrase);
  [[nodiscard]] absl::Status UnsealWithKey(const crypto::SecretBytes& unseal_key);
  // PKCS#11 root (options.token): a new non-extractable AES-256 key object
  // inside the token is the root key; nothing unseals but that object.
  // Returns the root API key and leaves the vault sealed.
  [[nodiscard]] absl::StatusOr<std::string> InitializeWithToken();
  // Unseals with the token's root key object. PERMISSION_DENIED when the
  // token does not hold it (destroyed by a root epoch, or another token);
  // UNAVAILABLE when the token cannot be reached. Also retries destroying
  // key objects a rotation retired.
  [[nodiscard]] absl::Status UnsealWithToken();
  // For the scheduler, with a PKCS#11 root: seals when the token has gone,
  // unseals when it is back, and runs a requested root epoch that has not
  // happened yet. OK without a token.
  [[nodiscard]] absl::Status CheckToken();
  // The end of a shred epoch. PKCS#11 root: records the request (so that the
  // scheduler retries it if this fails), then replaces the root key object
  // and destroys the old one (RotateRoot). No-op with a file root, whose
  // unseal material opens every older copy anyway.
  // `tenant`'s shred epoch covered the erasures before `cutoff`.
  [[nodiscard]] absl::Status CloseRootEpoch(std::string_view tenant, absl::Time cutoff);
  // A token is configured and the vault is (or will be, at init) sealed by
  // it. A vault initialised with shares stays a file root even when vaultd
  // is given a token (token_mismatch() says so).
  bool token_root() const;
  bool token_mismatch() const;
  // PKCS#11 root: when an erasure of `tenant` done at `shredded_at` became
  // final: the first root epoch (old root object destroyed) that followed a
  // shred epoch of the tenant covering it. From then on neither the live
  // vault nor any copy of its storage holds a key that opens the subject.
  // nullopt with a file root, or before such an epoch.
  std::optional<absl::Time> FinalAt(std::string_view tenant, absl::Time shredded_at) const;

  // Shared store: loads the keyring again and, when another node changed
  // it, puts it in force here: cached KEKs and subkeys are dropped (a
  // destroyed version is gone at once), and a rotated root is opened with
  // the unseal key this node holds; when it cannot be (a PKCS#11 root, or
  // an unseal key changed by a rekey) the node seals. OK and nothing done
  // when unchanged.
  [[nodiscard]] absl::Status Refresh();

  // Drops the root key and every cached key, and tells the listeners.
  void Seal();
  // Seal, and CheckToken does not unseal again (an operator's seal); the
  // next UnsealWithToken call that is not from CheckToken (vaultd's start)
  // does.
  void SealAndHold();
  // `listener` runs on every Seal (key caches elsewhere empty themselves).
  void AddSealListener(std::function<void()> listener);

  // Tenants. SEALED while sealed. With a region set, a tenant without a
  // residency gets the region, and one of another residency is refused
  // (PERMISSION_DENIED).
  [[nodiscard]] absl::Status CreateTenant(std::string_view tenant, std::string_view residency);
  // GONE for an erased tenant; PERMISSION_DENIED for a tenant this node
  // does not serve (see region()).
  [[nodiscard]] absl::StatusOr<TenantInfo> GetTenant(std::string_view tenant) const;
  // Residency: the region this node serves ("" = every tenant), and whether
  // it serves `tenant`: PERMISSION_DENIED with a message naming the
  // tenant's residency and the node's region when not; OK for an unknown
  // tenant (its calls answer NOT_FOUND where they look it up) and always
  // without a region. Works while sealed.
  const std::string& region() const { return options_.region; }
  [[nodiscard]] absl::Status CheckRegion(std::string_view tenant) const;
  // PERMISSION_DENIED when a tenant of `residency` may not be created here.
  [[nodiscard]] absl::Status CheckResidency(std::string_view tenant,
                                            std::string_view residency) const;
  // The residency the keyring records for `tenant`, erased tenants
  // included (for receipts); NOT_FOUND for an unknown tenant.
  [[nodiscard]] absl::StatusOr<std::string> Residency(std::string_view tenant) const;
  // Crypto-shreds a tenant: destroys every KEK version and the subkey root
  // in the keyring (both slots rewritten in place) and in the cache. The id
  // stays reserved. Returns the destroyed KEK versions.
  [[nodiscard]] absl::StatusOr<std::vector<uint32_t>> EraseTenant(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<std::vector<TenantInfo>> ListTenants() const;

  // KEKs. NOT_FOUND for an unknown tenant or version; GONE for a destroyed one.
  [[nodiscard]] absl::StatusOr<ActiveKek> GetActiveKek(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<KeyCache::Key> GetKek(std::string_view tenant, uint32_t version);
  [[nodiscard]] absl::StatusOr<uint32_t> RotateKek(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<std::vector<KekInfo>> ListKeks(std::string_view tenant) const;
  // Destroys every retired KEK version of the tenant: its wrapped bytes are
  // removed from the keyring (both slots rewritten in place) and from the
  // cache. REQUIRES: no DEK is wrapped under a retired version any more.
  // Returns the destroyed versions.
  [[nodiscard]] absl::StatusOr<std::vector<uint32_t>> DestroyRetiredKeks(std::string_view tenant);
  // Destroys exactly `versions` (which must not include the active one).
  [[nodiscard]] absl::StatusOr<std::vector<uint32_t>> DestroyKekVersions(
      std::string_view tenant, const std::vector<uint32_t>& versions);

  // A 32-byte tenant subkey (token, blind-index, hash).
  [[nodiscard]] absl::StatusOr<KeyCache::Key> GetTenantSubkey(std::string_view tenant,
                                                              TenantSubkey which);

  // A 32-byte system subkey (API-key hashing, audit head MAC). SEALED while sealed.
  [[nodiscard]] absl::StatusOr<KeyCache::Key> GetSystemSubkey(SystemSubkey which);
  // The keyed hash of the root operator's API key.
  [[nodiscard]] absl::StatusOr<std::string> RootApiKeyHash() const;

  // Root-key rotation: a new root key wraps everything the old one wrapped
  // (signing seed, system secret, every tenant KEK and subkey root). File
  // root: the new key is wrapped under the unseal key, which is kept in
  // locked memory while unsealed for this purpose. PKCS#11 root: the new key
  // is a new object in the token, and the old object is destroyed once the
  // keyring no longer needs it (a root epoch). Both keyring slots are
  // rewritten, so no slot keeps anything wrapped under the old root.
  // Returns the new root version.
  [[nodiscard]] absl::StatusOr<uint32_t> RotateRoot();
  uint32_t root_key_version() const;

  // The file system the keyring and key files go through (options.env);
  // backups of this vault use it too.
  base::Env& env() const { return *options_.env; }

  // The audit chain's anchor kept in the keyring file (see AuditLog);
  // nullopt before the first one, and for keyrings written before anchors
  // existed. Available while sealed.
  std::optional<records::AuditAnchor> audit_anchor() const;
  // Writes `anchor` into both keyring slots (fsynced) unless the stored one
  // is at least as far along the chain. The caller has checked it.
  [[nodiscard]] absl::Status StoreAuditAnchor(const records::AuditAnchor& anchor);

  // Runs `fn` on the keyring while no change to it can happen (backups).
  [[nodiscard]] absl::Status WithKeyring(
      const std::function<absl::Status(const records::Keyring&)>& fn) const;

  // Backups. File root: `fn` gets the keyring as it is (expires_in must be
  // zero). PKCS#11 root: `fn` gets a copy whose keys are wrapped under the
  // backup key object of the day `expires_in` from now ends in (created and
  // listed in the keyring if needed; the scheduler destroys it then, and
  // with it every copy of the backup). Zero = kDefaultBackupLifetime.
  // Either way no change to the keyring happens while `fn` runs.
  static constexpr absl::Duration kDefaultBackupLifetime = absl::Hours(24 * 35);
  static constexpr absl::Duration kMaxBackupLifetime = absl::Hours(24 * 400);
  [[nodiscard]] absl::Status WithBackupKeyring(
      absl::Duration expires_in, const std::function<absl::Status(const records::Keyring&)>& fn);
  // PKCS#11 root: when every backup that can hold a subject shredded at
  // `shredded_at` stops opening: the latest expiry of the backup keys made
  // before the erasure became final (`final_at`; until then, now: the bound
  // can still grow). nullopt with a file root (its backups open for ever
  // with the shares of their time).
  std::optional<absl::Time> BackupsUnreadableBy(absl::Time shredded_at,
                                                std::optional<absl::Time> final_at) const;
  // Destroys the backup key objects whose day has ended. Returns how many.
  [[nodiscard]] absl::StatusOr<int> DestroyExpiredBackupKeys();
  const Clock& clock() const { return *options_.clock; }

  // The vault's signing public key (available while sealed too).
  [[nodiscard]] absl::StatusOr<std::string> SigningPublicKey() const;
  // Signs with the vault's key. SEALED while sealed.
  [[nodiscard]] absl::StatusOr<std::string> Sign(std::string_view message) const;

  // Rekey and root API key rotation (key_hierarchy_rekey.cc).
  //
  // Rekey (Shamir vaults, while unsealed): the holders of the current
  // shares submit them one call at a time; the first call fixes the new
  // `shares` and `threshold` (2 <= threshold <= shares <= 255). Once the
  // current threshold is reached the shares must rebuild the current unseal
  // key (it must open the wrapped root key), a fresh random unseal key wraps
  // the root key and is split into the new shares, and both keyring slots
  // are rewritten (PersistDestructiveLocked), so no slot keeps the wrapping
  // the old shares open. Errors: SEALED while sealed; FAILED_PRECONDITION
  // when not initialised or not sealed with shares; INVALID_ARGUMENT for a
  // malformed or repeated share, bad counts, or counts that differ from
  // the attempt's; PERMISSION_DENIED when the shares do not open the
  // keyring (the attempt starts over). When the keyring cannot be
  // written, the previous wrapping is written back (a generation above any
  // attempted) and the error returned: the old shares still unseal. Only if
  // that fails too while the new wrapping is already durable in one slot
  // is the rekey in force anyway: the new shares are returned, and the
  // other slot keeps the old wrapping until the next keyring write, which
  // overwrites that slot first.
  struct RekeyProgress {
    bool complete = false;
    int progress = 0;                 // current shares given (while not complete)
    int threshold = 0;                // the CURRENT threshold
    std::vector<std::string> shares;  // the new shares, once complete
  };
  // `before_commit` (may be empty) runs once the shares are known to open
  // the keyring, before the keyring is written, with no lock of the
  // hierarchy held (the caller writes its audit entry there); an error from
  // it aborts the rekey: nothing changes and the attempt starts over.
  [[nodiscard]] absl::StatusOr<RekeyProgress> SubmitRekeyShare(
      int shares, int threshold, std::string_view share,
      const std::function<absl::Status()>& before_commit = {});
  // Drops the rekey in progress, wiping its shares. Returns whether there
  // was one. Seal() cancels it too.
  bool CancelRekey();
  // A new root API key replaces the old one: its keyed hash is written to
  // both keyring slots (destructive persist) and the old key stops
  // authenticating at once (PrincipalStore reads RootApiKeyHash() on every
  // call). SEALED while sealed. Failure handling as for rekey: on a write
  // error the previous hash is written back and the error returned; if the
  // new hash is durable and cannot be taken back, the new key is returned.
  [[nodiscard]] absl::StatusOr<std::string> RotateRootApiKey();

 private:
  explicit KeyHierarchy(KeyHierarchyOptions options);

  // REQUIRES: mu_ held exclusively. On a shared store, when another node
  // changed the keyring first: reloads it and returns UNAVAILABLE (the
  // caller may try again).
  absl::Status PersistLocked(records::Keyring next);
  // Puts the stored keyring in force (see Refresh). Returns whether the
  // node must seal (done by the caller once mu_ is released).
  absl::StatusOr<bool> ReloadLocked();
  absl::Status ReapplyOnNewerAnchorLocked(records::Keyring* next);
  // As PersistLocked, but for changes that destroy keys: both slots must
  // hold the new keyring, or it is an error (the old bytes may linger).
  absl::Status PersistDestructiveLocked(records::Keyring next);
  absl::StatusOr<std::string> InitializeLocked(const crypto::SecretBytes& unseal_key,
                                               records::SealConfig seal);
  absl::StatusOr<std::string> InitializeRootLocked(std::unique_ptr<keys_internal::RootKey> root,
                                                   records::Keyring next);
  // Verifies `root` against the keyring (it must open the signing seed) and
  // puts it in force.
  absl::Status FinishUnsealLocked(std::unique_ptr<keys_internal::RootKey> root);
  // Moves everything `next` holds under the current root to `to`.
  absl::Status RewrapAllLocked(keys_internal::RootKey& to, records::Keyring* next);
  // `retire_old`: destroy the old object (false when it is a backup key
  // that other backups still need).
  absl::StatusOr<uint32_t> RotateTokenRootLocked(bool retire_old = true);
  // scheduler: CheckToken's call, which leaves an operator's seal alone.
  absl::Status UnsealWithTokenImpl(bool scheduler);
  absl::StatusOr<std::string> BackupKeyIdLocked(absl::Time expires_at);
  // Destroys the token objects listed as retired; a root epoch ends when
  // the list is empty again.
  absl::Status DestroyRetiredLocked();
  const records::TenantKeys* FindTenantLocked(std::string_view tenant) const;
  // OK when this node serves `t` (see KeyHierarchyOptions::region).
  absl::Status ServedLocked(const records::TenantKeys& t) const;
  // With a region set: FAILED_PRECONDITION when `keyring` holds live keys
  // of a tenant of another region (rewrapping them would unwrap them here).
  absl::Status NoForeignKeysLocked(const records::Keyring& keyring) const;
  absl::StatusOr<crypto::SecretBytes> NewWrappedKekLocked(std::string_view tenant, uint32_t version,
                                                          records::KekVersion* out);

  bool root_ready() const { return root_key_ready_.load(std::memory_order_acquire); }

  KeyHierarchyOptions options_;
  std::unique_ptr<KeyringStore> store_;  // KeyringFile, or KvKeyring on a shared store
  mutable std::shared_mutex mu_;
  std::optional<records::Keyring> keyring_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<keys_internal::RootKey> root_ ABSL_GUARDED_BY(mu_);     // null when sealed
  std::unique_ptr<crypto::SecretBytes> unseal_key_ ABSL_GUARDED_BY(mu_);  // null when sealed
  std::unique_ptr<crypto::SigningKey> signing_key_ ABSL_GUARDED_BY(mu_);  // null when sealed
  std::atomic<bool> root_key_ready_{false};
  bool seal_held_ ABSL_GUARDED_BY(mu_) = false;  // SealAndHold: no unseal by CheckToken
  KeyCache cache_;  // KEKs and subkeys, keyed "k|tenant|version" / "s|tenant|which"
  std::mutex shares_mu_;
  std::vector<crypto::DecodedShare> pending_shares_ ABSL_GUARDED_BY(shares_mu_);
  std::mutex listeners_mu_;
  std::vector<std::function<void()>> seal_listeners_;
  // Rekey and root API key rotation. Lock order: rekey_mu_ before mu_.
  struct PendingRekey {
    int shares = 0;
    int threshold = 0;
    std::vector<crypto::DecodedShare> given;
  };
  // Persists `next` destructively; on failure writes `previous` back (see
  // SubmitRekeyShare). OK when `next` is in force. REQUIRES: mu_ held
  // exclusively; `previous` is the keyring in force before.
  absl::Status CommitOrRollBackLocked(records::Keyring next, const records::Keyring& previous);
  absl::StatusOr<RekeyProgress> CompleteRekeyLocked(const PendingRekey& rekey,
                                                    const std::function<absl::Status()>& before)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(rekey_mu_);
  std::mutex rekey_mu_;
  std::optional<PendingRekey> rekey_ ABSL_GUARDED_BY(rekey_mu_);
};

}  // namespace vault

#endif  // VAULT_KEYS_KEY_HIERARCHY_H_
