// SecretBytes implementation over sodium_malloc/sodium_free (which zero and
// unlock the pages on release).
#include "crypto/secret_bytes.h"

#include <sodium.h>

#include <cstring>

#include "crypto/sodium_init.h"

namespace vault::crypto {

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void SecretBytes::Release() {
  if (data_ != nullptr) sodium_free(data_);  // zeroes before unmapping
  data_ = nullptr;
  size_ = 0;
}

absl::StatusOr<SecretBytes> SecretBytes::Allocate(size_t size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (size == 0) return SecretBytes();
  void* p = sodium_malloc(size);
  if (p == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate locked memory for a secret");
  }
  sodium_memzero(p, size);
  return SecretBytes(static_cast<uint8_t*>(p), size);
}

absl::StatusOr<SecretBytes> SecretBytes::CopyFrom(std::string_view bytes) {
  absl::StatusOr<SecretBytes> secret = Allocate(bytes.size());
  if (!secret.ok()) return secret.status();
  if (!bytes.empty()) std::memcpy(secret->data_, bytes.data(), bytes.size());
  return secret;
}

absl::StatusOr<SecretBytes> SecretBytes::Clone() const {
  absl::StatusOr<SecretBytes> copy = Allocate(size_);
  if (!copy.ok()) return copy.status();
  if (size_ != 0) std::memcpy(copy->data_, data_, size_);
  return copy;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

absl::Span<const uint8_t> RevealSecret(const SecretBytes& secret) {
  return {secret.data_, secret.size_};
}

}  // namespace vault::crypto
