// SecretBytes: key material in locked, guarded memory (sodium_malloc), zeroed
// on destruction, move-only, never printable, compared in constant time.
// Thread-safety: a const SecretBytes may be read from many threads; mutation
// needs external synchronisation. Never log or stream its contents.
#ifndef VAULT_CRYPTO_SECRET_BYTES_H_
#define VAULT_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace vault::crypto {

class SecretBytes {
 public:
  // An empty secret (size 0).
  SecretBytes() = default;
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // Allocates `size` zeroed bytes in guarded, mlock'ed memory.
  [[nodiscard]] static absl::StatusOr<SecretBytes> Allocate(size_t size);
  // Copies `bytes` into a new secret. The caller remains responsible for
  // wiping its own copy.
  [[nodiscard]] static absl::StatusOr<SecretBytes> CopyFrom(std::string_view bytes);

  // An explicit deep copy: copying a key is never implicit.
  [[nodiscard]] absl::StatusOr<SecretBytes> Clone() const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant-time equality (sizes are not secret).
  bool Equals(const SecretBytes& other) const;

  // Writable view of the buffer, for filling a freshly allocated secret.
  absl::Span<uint8_t> MutableSpan() { return {data_, size_}; }

 private:
  friend absl::Span<const uint8_t> RevealSecret(const SecretBytes& secret);
  SecretBytes(uint8_t* data, size_t size) : data_(data), size_(size) {}
  void Release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// The one place raw key bytes can be read. Grep for RevealSecret to find every
// raw-key access in the code base.
absl::Span<const uint8_t> RevealSecret(const SecretBytes& secret);

// Secrets are never printable: streaming one does not compile.
std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_SECRET_BYTES_H_
