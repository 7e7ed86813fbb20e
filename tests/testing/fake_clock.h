// FakeClock: a Clock that only moves when a test moves it (no sleeping in
// tests). Starts at 2026-01-01T00:00:00Z unless told otherwise.
// Thread-safety: safe for concurrent use (Now may race with Advance/Set; each
// call sees a whole value).
#ifndef VAULT_TESTS_TESTING_FAKE_CLOCK_H_
#define VAULT_TESTS_TESTING_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "base/clock.h"

namespace vault::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600))  // 2026-01-01
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_ += absl::ToInt64Nanoseconds(d); }
  void Set(absl::Time t) { nanos_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_FAKE_CLOCK_H_
