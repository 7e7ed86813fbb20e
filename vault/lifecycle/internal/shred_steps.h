// Steps shared by the lifecycle's files: erasure ids and the deletion of a
// retention key with its retained fields (at expiry, and when a restored
// copy replays the expiry's receipt). Private to vault_lifecycle.
// Thread-safety: pure, or staging into a caller-owned batch.
#ifndef VAULT_LIFECYCLE_INTERNAL_SHRED_STEPS_H_
#define VAULT_LIFECYCLE_INTERNAL_SHRED_STEPS_H_

#ifndef VAULT_INTERNAL_LIFECYCLE
#error \
    "vault/lifecycle/internal/ is private to vault_lifecycle; include vault/lifecycle/lifecycle.h"
#endif

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "crypto/random.h"
#include "vault/storage/kv_store.h"

namespace vault::lifecycle_internal {

// "er_" + 20 hex digits from `random`.
std::string NewErasureId(crypto::RandomSource& random);

// Stages the deletion of the data key of `holder` (a RetentionHolder) and
// of every field row under it.
[[nodiscard]] absl::Status AddHolderDeletes(storage::KvStore& kv, std::string_view tenant,
                                            std::string_view holder, storage::WriteBatch* batch);

}  // namespace vault::lifecycle_internal

#endif  // VAULT_LIFECYCLE_INTERNAL_SHRED_STEPS_H_
