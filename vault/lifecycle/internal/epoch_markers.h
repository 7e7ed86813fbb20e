// Epoch markers: which done erasures of a tenant no shred epoch has covered
// yet, and which ones a running epoch job covers. Private to vault_lifecycle.
//
// Table meta:
//   "epoch-due/" tenant "\0" u64 BE shredded_at_ms erasure_id  (empty value)
//       written in the same batch that makes a subject erasure (or a
//       retention expiry) done; so the first key of a tenant is its oldest
//       erasure not yet covered by an epoch.
//   "epoch-job/" job_id "\0" u64 BE shredded_at_ms erasure_id  (empty value)
//       the markers a job took over when it was created (same batch as its
//       first record); deleted with its "done" record, moved back to
//       "epoch-due/" with its "failed" record.
//   "epoch/" tenant  EpochRecord: the tenant's last closed epoch.
// Thread-safety: pure, or staging into a caller-owned batch.
#ifndef VAULT_LIFECYCLE_INTERNAL_EPOCH_MARKERS_H_
#define VAULT_LIFECYCLE_INTERNAL_EPOCH_MARKERS_H_

#ifndef VAULT_INTERNAL_LIFECYCLE
#error \
    "vault/lifecycle/internal/ is private to vault_lifecycle; include vault/lifecycle/lifecycle.h"
#endif

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vault/storage/kv_store.h"

namespace vault::lifecycle_internal {

std::string EpochDuePrefix(std::string_view tenant);  // ends in \0
std::string EpochJobPrefix(std::string_view job_id);  // ends in \0
std::string EpochRecordKey(std::string_view tenant);

// Stages the marker of a done erasure of `tenant` that an epoch must cover.
void AddEpochDueMarker(std::string_view tenant, std::string_view erasure_id, int64_t shredded_at_ms,
                       storage::WriteBatch* batch);

// Stages the move of every marker under `from_prefix` to `to_prefix` (the
// part after the prefix is kept). Returns how many.
[[nodiscard]] absl::StatusOr<size_t> AddMarkerMoves(storage::KvStore& kv,
                                                    std::string_view from_prefix,
                                                    std::string_view to_prefix,
                                                    storage::WriteBatch* batch);

}  // namespace vault::lifecycle_internal

#endif  // VAULT_LIFECYCLE_INTERNAL_EPOCH_MARKERS_H_
