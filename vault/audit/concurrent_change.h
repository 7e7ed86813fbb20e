// What GroupCommitter answers when a commit is refused because another node
// changed a record it depended on at the same moment (a data key both
// created; storage::IsExpectationFailed): UNAVAILABLE, nothing written.
// Running the call again finds the other node's record.
#ifndef VAULT_AUDIT_CONCURRENT_CHANGE_H_
#define VAULT_AUDIT_CONCURRENT_CHANGE_H_

#include "absl/status/status.h"

namespace vault {

absl::Status ConcurrentChangeError();
bool IsConcurrentChange(const absl::Status& status);

}  // namespace vault

#endif  // VAULT_AUDIT_CONCURRENT_CHANGE_H_
