// RequestFibers implementation on boost::context::fiber.
#include "api/request_fiber.h"

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <thread>
#include <utility>
#include <vector>

#include "base/parking.h"

namespace vault::api {
namespace {

namespace bctx = boost::context;

constexpr size_t kStackBytes = 256 << 10;  // protobuf's JSON parser recurses at most 100 deep
constexpr size_t kStacksKept = 256;        // reused stacks; more are unmapped when freed

// Fibers that were parked when their server closed: never resumed, never
// unwound (the committer may still hold a pointer into their stacks).
void Bury(bctx::fiber fiber) {
  static std::mutex mu;
  static auto* graveyard = new std::vector<bctx::fiber>();  // never freed, by design
  std::lock_guard<std::mutex> lock(mu);
  graveyard->push_back(std::move(fiber));
}

}  // namespace

class RequestFibers::Stacks {
 public:
  Stacks() : alloc_(kStackBytes) {}
  ~Stacks() {
    for (bctx::stack_context& sc : free_) alloc_.deallocate(sc);
  }
  Stacks(const Stacks&) = delete;
  Stacks& operator=(const Stacks&) = delete;

  bctx::stack_context Allocate() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        bctx::stack_context sc = free_.back();
        free_.pop_back();
        return sc;
      }
    }
    return alloc_.allocate();
  }
  void Release(bctx::stack_context& sc) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (free_.size() < kStacksKept) {
        free_.push_back(sc);
        return;
      }
    }
    alloc_.deallocate(sc);
  }

 private:
  bctx::protected_fixedsize_stack alloc_;
  std::mutex mu_;
  std::vector<bctx::stack_context> free_;
};

namespace {

// Boost.Context's StackAllocator concept over the pool.
class PooledStack {
 public:
  explicit PooledStack(RequestFibers::Stacks* stacks) : stacks_(stacks) {}
  bctx::stack_context allocate() { return stacks_->Allocate(); }
  void deallocate(bctx::stack_context& sc) noexcept { stacks_->Release(sc); }

 private:
  RequestFibers::Stacks* stacks_;
};

}  // namespace

struct RequestFibers::Gate {
  std::mutex mu;
  bool open = true;
};

class RequestFibers::Fiber : public Parker {
 public:
  Fiber(RequestFibers* owner, std::function<void()> body, std::function<void()> done, Post post)
      : owner_(owner), body_(std::move(body)), done_(std::move(done)), post_(std::move(post)) {
    fiber_ = bctx::fiber(std::allocator_arg, PooledStack(owner->stacks_.get()),
                         [this](bctx::fiber&& back) {
                           back_ = std::move(back);
                           body_();
                           finished_ = true;
                           return std::move(back_);
                         });
  }
  ~Fiber() override {
    if (fiber_) Bury(std::move(fiber_));  // parked at close: see Close()
  }
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Inside the fiber: switch back to the step that resumed it; `arm` runs
  // there, once this fiber is suspended.
  void Park(const Arm& arm) override {
    arm_ = &arm;
    back_ = std::move(back_).resume();
  }

  // Runs the fiber until it parks or finishes (on the session's executor).
  static void Step(const std::shared_ptr<Fiber>& self) {
    {
      ScopedParker installed(self.get());
      self->fiber_ = std::move(self->fiber_).resume();
    }
    if (self->finished_) {
      --self->owner_->live_;
      std::function<void()> done = std::move(self->done_);
      done();
      return;
    }
    const Arm* arm = std::exchange(self->arm_, nullptr);
    (*arm)([self, gate = self->owner_->gate_] {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;  // closed: never resumed (its stack is buried)
      self->post_([self] { Step(self); });
    });
  }

 private:
  RequestFibers* owner_;
  std::function<void()> body_;
  std::function<void()> done_;
  Post post_;
  bctx::fiber fiber_;  // the request's context while it is not running
  bctx::fiber back_;   // inside the fiber: the step that resumed it
  const Arm* arm_ = nullptr;
  bool finished_ = false;
};

RequestFibers::RequestFibers()
    : stacks_(std::make_unique<Stacks>()), gate_(std::make_shared<Gate>()) {}

RequestFibers::~RequestFibers() = default;

void RequestFibers::Start(std::function<void()> body, std::function<void()> done, Post post) {
  ++live_;
  auto fiber = std::make_shared<Fiber>(this, std::move(body), std::move(done), std::move(post));
  Fiber::Step(fiber);
}

void RequestFibers::Close(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (live_.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::lock_guard<std::mutex> lock(gate_->mu);
  gate_->open = false;
}

}  // namespace vault::api
