// libFuzzer target: audit-entry decoding (JSON lines of AuditExportLine) and
// the chain verifier. Random input must never verify as a chain that
// reaches a signed checkpoint of a key nobody holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "crypto/random.h"
#include "crypto/signing.h"
#include "ops/offline.h"
#include "tests/fuzz/fail_on_library_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string* public_key = [] {
    auto key = vault::crypto::SigningKey::Generate(vault::crypto::SystemRandom::Instance());
    return new std::string(key->public_key());
  }();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<vault::ops::AuditExportCheck> check =
      vault::ops::VerifyAuditExport(in, *public_key);
  if (check.ok() && check->chain.ok && check->last_checkpoint > 0) std::abort();
  return 0;
}
