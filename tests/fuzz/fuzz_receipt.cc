// libFuzzer target: the offline receipt path (JSON parsing, base64, the
// signature check). A random input must never verify under the fixed key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/random.h"
#include "crypto/signing.h"
#include "ops/offline.h"
#include "tests/fuzz/fail_on_library_log.h"
#include "vault/lifecycle/lifecycle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string* public_key = [] {
    auto key = vault::crypto::SigningKey::Generate(vault::crypto::SystemRandom::Instance());
    return new std::string(key->public_key());
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<vault::records::ErasureReceipt> receipt = vault::ops::ParseReceiptJson(text);
  if (receipt.ok() && vault::VerifyReceipt(*receipt, *public_key).ok()) std::abort();
  (void)vault::ops::ParsePublicKey(text);
  (void)vault::ops::ParseLedgerJson(text);
  return 0;
}
