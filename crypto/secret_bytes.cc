// SecretBytes implementation: a locked pool for small secrets and
// sodium_malloc/sodium_free for larger ones; both zero memory on release.
#include "crypto/secret_bytes.h"

#include <sodium.h>
#include <sys/mman.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

constexpr size_t kSlotSize = 64;
constexpr size_t kChunkSlots = 4096;  // 256 KiB per chunk

// Fixed-size slots carved from locked, non-dumpable chunks that are never
// unmapped. Slots are zeroed when returned.
class SecretPool {
 public:
  static SecretPool& Instance() {
    static SecretPool* pool = new SecretPool();
    return *pool;
  }

  uint8_t* Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty() && !GrowLocked()) return nullptr;
    uint8_t* slot = free_.back();
    free_.pop_back();
    return slot;
  }

  void Give(uint8_t* slot) {
    sodium_memzero(slot, kSlotSize);
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(slot);
  }

  LockedMemoryReport Report() {
    std::lock_guard<std::mutex> lock(mu_);
    return report_;
  }

 private:
  bool GrowLocked() {
    const size_t bytes = kSlotSize * kChunkSlots;
    void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return false;
    // sodium_mlock locks the pages and excludes them from core dumps.
    if (sodium_mlock(mem, bytes) != 0) ++report_.lock_failures;
    report_.pool_bytes += bytes;
    auto* base = static_cast<uint8_t*>(mem);
    free_.reserve(free_.size() + kChunkSlots);
    for (size_t i = kChunkSlots; i > 0; --i) free_.push_back(base + (i - 1) * kSlotSize);
    return true;
  }

  std::mutex mu_;
  std::vector<uint8_t*> free_;
  LockedMemoryReport report_;
};

}  // namespace

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_), size_(other.size_), pooled_(other.pooled_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    pooled_ = other.pooled_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void SecretBytes::Release() {
  if (data_ != nullptr) {
    if (pooled_) {
      SecretPool::Instance().Give(data_);
    } else {
      sodium_free(data_);  // zeroes before unmapping
    }
  }
  data_ = nullptr;
  size_ = 0;
}

absl::StatusOr<SecretBytes> SecretBytes::Allocate(size_t size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (size == 0) return SecretBytes();
  if (size <= kSlotSize) {
    uint8_t* slot = SecretPool::Instance().Take();
    if (slot == nullptr) {
      return absl::ResourceExhaustedError("cannot allocate locked memory for a secret");
    }
    return SecretBytes(slot, size, /*pooled=*/true);
  }
  void* p = sodium_malloc(size);
  if (p == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate locked memory for a secret");
  }
  sodium_memzero(p, size);
  return SecretBytes(static_cast<uint8_t*>(p), size, /*pooled=*/false);
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

void SecureWipe(std::string& buffer) {
  if (!buffer.empty()) sodium_memzero(buffer.data(), buffer.size());
}

LockedMemoryReport GetLockedMemoryReport() { return SecretPool::Instance().Report(); }

}  // namespace vault::crypto
