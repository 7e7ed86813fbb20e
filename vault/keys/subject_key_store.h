// SubjectKeyStore: per-subject data keys (DEKs). Each DEK is random, wrapped
// under the tenant's active KEK with associated data binding tenant, subject,
// DEK id and KEK version, and stored in Table::kSubjectKeys. Unwrapped DEKs
// are cached in a bounded LRU that Seal and Evict empty at once.
// Thread-safety: safe for concurrent use; GetOrCreate additionally REQUIRES
// the caller to hold the subject's write lock (SubjectLocks), so two writers
// never create two DEKs for one subject.
#ifndef VAULT_KEYS_SUBJECT_KEY_STORE_H_
#define VAULT_KEYS_SUBJECT_KEY_STORE_H_

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/keys/key_cache.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct DataKey {
  std::string dek_id;  // 16 random bytes, bound into field associated data
  uint32_t kek_version = 0;
  crypto::SecretBytes key;
};
using DataKeyHandle = std::shared_ptr<const DataKey>;

class SubjectKeyStore {
 public:
  SubjectKeyStore(storage::KvStore* kv, KeyHierarchy* keys, crypto::RandomSource* random,
                  const Clock* clock, size_t cache_capacity);

  // The subject's DEK; NOT_FOUND when the subject has none.
  [[nodiscard]] absl::StatusOr<DataKeyHandle> Get(std::string_view tenant,
                                                  std::string_view subject);
  // The subject's DEK, or a new one whose wrapped record is added to `batch`
  // (it exists only once the caller commits the batch; it is not cached
  // before that). REQUIRES: the subject's write lock is held.
  [[nodiscard]] absl::StatusOr<DataKeyHandle> GetOrCreate(std::string_view tenant,
                                                          std::string_view subject,
                                                          storage::WriteBatch* batch);
  // Drops the subject's data key and its audit key (AuditKeyHolder).
  void Evict(std::string_view tenant, std::string_view subject);
  void EvictAll() { cache_.Clear(); }
  size_t cached() const { return cache_.size(); }

 private:
  storage::KvStore* kv_;
  KeyHierarchy* keys_;
  crypto::RandomSource* random_;
  const Clock* clock_;
  LruCache<DataKeyHandle> cache_;
};

// Striped mutexes serialising writers per subject.
// Thread-safety: safe for concurrent use.
class SubjectLocks {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view tenant, std::string_view subject);
  // Locks the stripes of all `subjects` of one tenant, each once, in stripe
  // order, so concurrent multi-subject writers cannot deadlock.
  std::vector<std::unique_lock<std::mutex>> LockMany(std::string_view tenant,
                                                     const std::vector<std::string>& subjects);
  // Every stripe, in order: no subject can be written while they are held.
  std::vector<std::unique_lock<std::mutex>> LockAll();

 private:
  size_t Stripe(std::string_view tenant, std::string_view subject) const;

  std::array<std::mutex, 256> stripes_;
};

}  // namespace vault

#endif  // VAULT_KEYS_SUBJECT_KEY_STORE_H_
