// SecretBytes: key material in locked memory, zeroed on destruction,
// move-only, never printable, compared in constant time. Secrets of up to 64
// bytes (every key) come from a pool of locked, non-dumpable pages (a guarded
// sodium_malloc per key would cost four memory mappings each and exhaust the
// kernel's map limit at ~16k keys); larger ones from sodium_malloc.
// Thread-safety: a const SecretBytes may be read from many threads; mutation
// needs external synchronisation. Never log or stream its contents.
#ifndef VAULT_CRYPTO_SECRET_BYTES_H_
#define VAULT_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
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
  SecretBytes(uint8_t* data, size_t size, bool pooled)
      : data_(data), size_(size), pooled_(pooled) {}
  void Release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool pooled_ = false;
};

// The one place raw key bytes can be read. Grep for RevealSecret to find every
// raw-key access in the code base.
absl::Span<const uint8_t> RevealSecret(const SecretBytes& secret);

// Zeroes a buffer in a way the compiler cannot optimise away. For ordinary
// buffers that briefly held a secret or a personal-data value.
void SecureWipe(std::string& buffer);

// What the locked pool could lock. `lock_failures` > 0 means some key pages
// may be swapped out (raise RLIMIT_MEMLOCK); the process still works.
struct LockedMemoryReport {
  size_t pool_bytes = 0;
  size_t lock_failures = 0;
};
LockedMemoryReport GetLockedMemoryReport();

// Secrets are never printable: streaming one does not compile.
std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_SECRET_BYTES_H_
