// Reveal level names.
#include "vault/model/reveal.h"

namespace vault {

std::string_view RevealLevelName(RevealLevel level) {
  switch (level) {
    case RevealLevel::kPlain: return "plain";
    case RevealLevel::kMasked: return "masked";
    case RevealLevel::kHashed: return "hashed";
    case RevealLevel::kTokenOnly: return "token_only";
  }
  return "token_only";
}

absl::StatusOr<RevealLevel> ParseRevealLevel(std::string_view name) {
  for (RevealLevel level :
       {RevealLevel::kPlain, RevealLevel::kMasked, RevealLevel::kHashed, RevealLevel::kTokenOnly}) {
    if (RevealLevelName(level) == name) return level;
  }
  return absl::InvalidArgumentError("reveal must be plain, masked, hashed or token_only");
}

}  // namespace vault
