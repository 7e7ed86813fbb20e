// Encodings over libsodium's constant-time sodium_bin2hex/hex2bin/bin2base64.
#include "crypto/encoding.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

std::string Base64With(std::string_view bytes, int variant) {
  (void)EnsureSodiumInitialized();
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const uint8_t*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // drop the NUL terminator
  return out;
}

absl::StatusOr<std::string> Base64DecodeWith(std::string_view text, int variant) {
  (void)EnsureSodiumInitialized();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<uint8_t*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return absl::InvalidArgumentError("not valid base64");
  }
  out.resize(written);
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  (void)EnsureSodiumInitialized();
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const uint8_t*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> HexDecode(std::string_view hex) {
  (void)EnsureSodiumInitialized();
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex has odd length");
  std::string out(hex.size() / 2, '\0');
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<uint8_t*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &written, &end) != 0 ||
      end != hex.data() + hex.size() || written != out.size()) {
    return absl::InvalidArgumentError("not valid hex");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  return Base64With(bytes, sodium_base64_VARIANT_ORIGINAL);
}
absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  return Base64DecodeWith(text, sodium_base64_VARIANT_ORIGINAL);
}
std::string Base64UrlEncode(std::string_view bytes) {
  return Base64With(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  return Base64DecodeWith(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

}  // namespace vault::crypto
