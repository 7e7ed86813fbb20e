// LruCache / KeyCache: a bounded LRU of unwrapped keys (in locked memory).
// Eviction is explicit as well as by capacity; a shred calls Erase at once.
// Values are shared_ptrs, so a key in use by a reader stays valid until that
// reader drops it, and is zeroed when the last holder lets go.
// Thread-safety: all methods are safe for concurrent use (one mutex).
#ifndef VAULT_KEYS_KEY_CACHE_H_
#define VAULT_KEYS_KEY_CACHE_H_

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/secret_bytes.h"

namespace vault {

// V is a shared_ptr-like handle; a null V means "absent".
template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  V Get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void Put(const std::string& id, V value) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    lru_.emplace_front(id, std::move(value));
    index_.emplace(id, lru_.begin());
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

  void Erase(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return;
    lru_.erase(it->second);
    index_.erase(it);
  }

  // Drops every entry whose id starts with `prefix`.
  void ErasePrefix(std::string_view prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (std::string_view(it->first).substr(0, prefix.size()) == prefix) {
        index_.erase(it->first);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    index_.clear();
    lru_.clear();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lru_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  using Lru = std::list<std::pair<std::string, V>>;

  const size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<std::string, typename Lru::iterator> index_;
};

// Cache of bare keys (KEKs, tenant subkeys).
class KeyCache : public LruCache<std::shared_ptr<const crypto::SecretBytes>> {
 public:
  using Key = std::shared_ptr<const crypto::SecretBytes>;
  using LruCache::LruCache;
};

}  // namespace vault

#endif  // VAULT_KEYS_KEY_CACHE_H_
