// Reveal levels, highest first: plain > masked > hashed > token_only.
// Thread-safety: pure functions.
#ifndef VAULT_MODEL_REVEAL_H_
#define VAULT_MODEL_REVEAL_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace vault {

// Ordered so that a larger value reveals more.
enum class RevealLevel : int { kTokenOnly = 0, kHashed = 1, kMasked = 2, kPlain = 3 };

std::string_view RevealLevelName(RevealLevel level);
// INVALID_ARGUMENT for anything but the four lowercase names.
[[nodiscard]] absl::StatusOr<RevealLevel> ParseRevealLevel(std::string_view name);

}  // namespace vault

#endif  // VAULT_MODEL_REVEAL_H_
