// Clock: the injected source of time. SystemClock reads the real clock; a
// test injects vault::testing::FakeClock (tests/testing/fake_clock.h). No
// options struct defaults to SystemClock: the caller always chooses.
// Thread-safety: safe for concurrent use.
#ifndef VAULT_BASE_CLOCK_H_
#define VAULT_BASE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vault {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static SystemClock& Instance() {
    static SystemClock* clock = new SystemClock();
    return *clock;
  }
};

}  // namespace vault

#endif  // VAULT_BASE_CLOCK_H_
