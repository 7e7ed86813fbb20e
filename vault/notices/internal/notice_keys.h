// Storage keys of the processors and their notice outbox (table meta).
// Private to vault_notices. Thread-safety: pure functions.
#ifndef VAULT_NOTICES_INTERNAL_NOTICE_KEYS_H_
#define VAULT_NOTICES_INTERNAL_NOTICE_KEYS_H_

#ifndef VAULT_INTERNAL_NOTICES
#error "vault/notices/internal/ is private to vault_notices"
#endif

#include <string>
#include <string_view>

#include "base/strings.h"

namespace vault::notices_internal {

inline constexpr std::string_view kSep("\0", 1);

// "processor" \0 tenant \0 name
inline std::string ProcessorPrefix(std::string_view tenant) {
  return Cat("processor", kSep, tenant, kSep);
}
inline std::string ProcessorKey(std::string_view tenant, std::string_view name) {
  return Cat(ProcessorPrefix(tenant), name);
}
// "notice" \0 tenant \0 processor \0 erasure_id (every notice: NoticeRoot()).
inline std::string NoticeRoot() { return Cat("notice", kSep); }
inline std::string NoticePrefix(std::string_view tenant, std::string_view processor) {
  return Cat(NoticeRoot(), tenant, kSep, processor, kSep);
}
inline std::string NoticeKey(std::string_view tenant, std::string_view processor,
                             std::string_view erasure_id) {
  return Cat(NoticePrefix(tenant, processor), erasure_id);
}

}  // namespace vault::notices_internal

#endif  // VAULT_NOTICES_INTERNAL_NOTICE_KEYS_H_
