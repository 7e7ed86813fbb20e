// libFuzzer target: every data type's validator and normaliser. Properties:
// a normalised value normalises to itself, never contains the input when
// refused (the error names the rule, not the value), and masks without
// crashing; format-preserving tokens keep their promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/random.h"
#include "tests/fuzz/fail_on_library_log.h"
#include "vault/model/data_types.h"
#include "vault/tokens/token_codec.h"

using vault::DataType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::vector<DataType>& types = vault::AllDataTypes();
  const DataType type = types[data[0] % types.size()];
  const std::string raw(reinterpret_cast<const char*>(data + 1), size - 1);
  const vault::ValidationContext ctx{absl::CivilDay(2026, 11, 26)};
  absl::StatusOr<std::string> normalized = vault::Normalize(type, raw, ctx);
  if (!normalized.ok()) {
    // Refusals never echo the input: no run of 6+ digits of it (card, ID and
    // phone numbers) appears in the message (the fixed rule texts have none).
    const std::string message(normalized.status().message());
    for (size_t i = 0; i + 6 <= raw.size(); ++i) {
      size_t n = 0;
      while (i + n < raw.size() && raw[i + n] >= '0' && raw[i + n] <= '9') ++n;
      if (n >= 6 && message.find(raw.substr(i, n)) != std::string::npos) std::abort();
      i += n;
    }
    return 0;
  }
  absl::StatusOr<std::string> again = vault::Normalize(type, *normalized, ctx);
  if (!again.ok() || *again != *normalized) std::abort();  // idempotent
  (void)vault::Mask(type, *normalized);
  (void)vault::RevealValue(type, *normalized, vault::RevealLevel::kMasked, nullptr);
  if (type == DataType::kBankCard || type == DataType::kPhone) {
    absl::StatusOr<std::string> fpt =
        vault::FormatPreservingToken(type, *normalized, vault::crypto::SystemRandom::Instance());
    if (fpt.ok()) {
      if (*fpt == *normalized || fpt->size() != normalized->size()) std::abort();
      if (type == DataType::kBankCard && !vault::LuhnValid(*fpt)) std::abort();
    }
  }
  (void)vault::LooksLikeToken(raw);
  return 0;
}
