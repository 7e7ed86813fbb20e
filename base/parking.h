// Parking: lets a request that waits for something another thread finishes
// (a durable write) give its thread back instead of blocking it.
//
// The HTTP server runs some requests as fibers on its I/O threads and
// installs a Parker for the time the fiber runs. Code deep in the vault that
// would wait (the group committer) asks CurrentParker(): when one is there
// and the caller holds no lock another request could need, it parks the
// request; otherwise it blocks as on any thread.
// Thread-safety: the current parker is per thread. A parked request may be
// resumed on another thread, so code must not keep thread-local state, or
// hold a mutex, across Park().
#ifndef VAULT_BASE_PARKING_H_
#define VAULT_BASE_PARKING_H_

#include <functional>

namespace vault {

class Parker {
 public:
  using Resume = std::function<void()>;
  using Arm = std::function<void(Resume resume)>;

  virtual ~Parker() = default;
  // Suspends the calling request. Once it is suspended (its thread is
  // free), `arm` runs with a function that resumes it; that function must
  // be called exactly once, from any thread, and must not be called under a
  // lock that the resumed request could take. Returns after the resumption.
  virtual void Park(const Arm& arm) = 0;
};

// The parker of the request this thread is running, or nullptr.
Parker* CurrentParker();

// Installs `parker` on this thread for the scope's life (the server, around
// each run of a request fiber).
class ScopedParker {
 public:
  explicit ScopedParker(Parker* parker);
  ~ScopedParker();
  ScopedParker(const ScopedParker&) = delete;
  ScopedParker& operator=(const ScopedParker&) = delete;

 private:
  Parker* previous_;
};

}  // namespace vault

#endif  // VAULT_BASE_PARKING_H_
