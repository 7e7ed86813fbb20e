// Hashing and KDF over libsodium's crypto_generichash, crypto_auth_hmacsha256
// and crypto_kdf.
#include "crypto/hashing.h"

#include <sodium.h>

#include <memory>

#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

absl::Status CheckOutSize(size_t out_size) {
  if (out_size < crypto_generichash_BYTES_MIN || out_size > crypto_generichash_BYTES_MAX) {
    return absl::InvalidArgumentError("BLAKE2b output must be 16..64 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Blake2b(std::string_view message, size_t out_size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (absl::Status s = CheckOutSize(out_size); !s.ok()) return s;
  std::string out(out_size, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(out.data()), out_size, Bytes(message),
                     message.size(), nullptr, 0);
  return out;
}

struct Blake2bHasher::State {
  crypto_generichash_state state;
  size_t out_size = 0;
};

absl::StatusOr<Blake2bHasher> Blake2bHasher::Create(size_t out_size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (absl::Status s = CheckOutSize(out_size); !s.ok()) return s;
  auto state = std::make_unique<State>();
  state->out_size = out_size;
  crypto_generichash_init(&state->state, nullptr, 0, out_size);
  return Blake2bHasher(std::move(state));
}

Blake2bHasher::Blake2bHasher(std::unique_ptr<State> state) : state_(std::move(state)) {}
Blake2bHasher::Blake2bHasher(Blake2bHasher&&) noexcept = default;
Blake2bHasher& Blake2bHasher::operator=(Blake2bHasher&&) noexcept = default;
Blake2bHasher::~Blake2bHasher() = default;

void Blake2bHasher::Update(std::string_view piece) {
  crypto_generichash_update(&state_->state, Bytes(piece), piece.size());
}

std::string Blake2bHasher::Finish() {
  std::string out(state_->out_size, '\0');
  crypto_generichash_final(&state_->state, reinterpret_cast<uint8_t*>(out.data()), out.size());
  return out;
}

absl::StatusOr<std::string> Blake2bMac(const SecretBytes& key, std::string_view message,
                                       size_t out_size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (absl::Status s = CheckOutSize(out_size); !s.ok()) return s;
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    return absl::InvalidArgumentError("BLAKE2b key must be 16..64 bytes");
  }
  std::string out(out_size, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(out.data()), out_size, Bytes(message),
                     message.size(), RevealSecret(key).data(), key.size());
  return out;
}

absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, std::string_view message) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (key.size() < 16) return absl::InvalidArgumentError("HMAC key must be at least 16 bytes");
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, RevealSecret(key).data(), key.size());
  crypto_auth_hmacsha256_update(&state, Bytes(message), message.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<uint8_t*>(out.data()));
  sodium_memzero(&state, sizeof state);
  return out;
}

absl::StatusOr<SecretBytes> DeriveSubkey(const SecretBytes& master_key, uint64_t subkey_id,
                                         std::string_view context, size_t size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (master_key.size() != crypto_kdf_KEYBYTES) {
    return absl::InvalidArgumentError("KDF master key must be 32 bytes");
  }
  if (context.size() != crypto_kdf_CONTEXTBYTES) {
    return absl::InvalidArgumentError("KDF context must be exactly 8 characters");
  }
  if (size < crypto_kdf_BYTES_MIN || size > crypto_kdf_BYTES_MAX) {
    return absl::InvalidArgumentError("KDF subkey must be 16..64 bytes");
  }
  absl::StatusOr<SecretBytes> subkey = SecretBytes::Allocate(size);
  if (!subkey.ok()) return subkey.status();
  crypto_kdf_derive_from_key(subkey->MutableSpan().data(), size, subkey_id, context.data(),
                             RevealSecret(master_key).data());
  return subkey;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vault::crypto
