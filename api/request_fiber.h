// RequestFibers: runs a request's handler on a fiber (Boost.Context) on the
// thread that read the request (an I/O thread), so the request is not
// handed to another thread on its way in. When the handler would wait for a
// durable write (GroupCommitter with CommitWait::kMayPark), the fiber parks
// (base/parking.h): its thread returns to serve other connections, and the
// committer's completion posts the fiber's next step to the session's
// executor (its strand), where it continues, possibly on another I/O thread.
// Stacks are 256 KiB with a guard page, pooled and reused (no mmap per
// request once warm).
// Thread-safety: Start may be called from any thread; each fiber runs on one
// thread at a time (the session's strand serialises its steps).
#ifndef VAULT_API_REQUEST_FIBER_H_
#define VAULT_API_REQUEST_FIBER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace vault::api {

class RequestFibers {
 public:
  // Runs `step` on the session's executor (asio::post to its strand).
  using Post = std::function<void(std::function<void()> step)>;

  RequestFibers();
  ~RequestFibers();
  RequestFibers(const RequestFibers&) = delete;
  RequestFibers& operator=(const RequestFibers&) = delete;

  // Runs `body` on a new fiber, starting now on this thread; `done` runs
  // right after `body` returns, on the thread that ran the fiber's last
  // step. `post` continues a parked fiber on the session's executor.
  void Start(std::function<void()> body, std::function<void()> done, Post post);

  // Fibers started and not yet done (parked ones included).
  size_t live() const { return live_.load(); }
  // Waits up to `deadline` for every fiber to finish (their sessions'
  // executors must still run); then refuses to resume fibers from now on:
  // a fiber still parked then is never resumed and its stack is kept, not
  // unwound (the committer may still hold its pending write).
  void Close(std::chrono::milliseconds deadline);

  class Fiber;
  class Stacks;

 private:
  struct Gate;
  std::unique_ptr<Stacks> stacks_;
  std::shared_ptr<Gate> gate_;
  std::atomic<size_t> live_{0};
};

}  // namespace vault::api

#endif  // VAULT_API_REQUEST_FIBER_H_
