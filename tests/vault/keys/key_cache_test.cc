// Tests for the bounded key cache: capacity, LRU order, explicit eviction.
#include "vault/keys/key_cache.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace vault {
namespace {

KeyCache::Key NewKey() {
  return std::make_shared<const crypto::SecretBytes>(*crypto::SystemRandom::Instance().Secret(32));
}

TEST(KeyCacheTest, EvictsLeastRecentlyUsedBeyondCapacity) {
  KeyCache cache(2);
  cache.Put("a", NewKey());
  cache.Put("b", NewKey());
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now most recent
  cache.Put("c", NewKey());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_NE(cache.Get("c"), nullptr);
}

TEST(KeyCacheTest, EraseAndErasePrefixDropAtOnce) {
  KeyCache cache(10);
  cache.Put(std::string("t1\0s1", 5), NewKey());
  cache.Put(std::string("t1\0s2", 5), NewKey());
  cache.Put(std::string("t2\0s1", 5), NewKey());
  cache.Erase(std::string("t1\0s1", 5));
  EXPECT_EQ(cache.Get(std::string("t1\0s1", 5)), nullptr);
  cache.ErasePrefix(std::string("t1\0", 3));
  EXPECT_EQ(cache.Get(std::string("t1\0s2", 5)), nullptr);
  EXPECT_NE(cache.Get(std::string("t2\0s1", 5)), nullptr);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(KeyCacheTest, KeyHeldByReaderSurvivesEviction) {
  KeyCache cache(1);
  KeyCache::Key key = NewKey();
  cache.Put("a", key);
  KeyCache::Key held = cache.Get("a");
  cache.Clear();
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(held->Equals(*key));
}

}  // namespace
}  // namespace vault
