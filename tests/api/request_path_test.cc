// The request path without hand-offs (issue 14): a request fiber that waits
// for a durable write parks and gives its thread back until its group is
// durable, then continues through its session's executor; and vaultd answers
// pipelined HTTP/1.1 requests in order, whichever thread handles each.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "api/request_fiber.h"
#include "tests/api/vaultd_http_fixture.h"
#include "tests/testing/fault_kv_store.h"
#include "vault/audit/group_committer.h"
#include "vault/storage/memory_kv_store.h"

namespace vault::testing {
namespace {

using storage::Table;

// A store whose writes wait at a gate until the test opens it.
class GateKvStore : public FaultInjectingKvStore {
 public:
  using FaultInjectingKvStore::FaultInjectingKvStore;
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    return FaultInjectingKvStore::Write(batch, options);
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

// The session executor of a test: steps posted to it run when the test
// thread drains it.
class StepQueue {
 public:
  void Post(std::function<void()> step) {
    std::lock_guard<std::mutex> lock(mu_);
    steps_.push_back(std::move(step));
    cv_.notify_all();
  }
  // Runs posted steps until `n` have run (at most 10 s of waiting).
  bool RunSteps(size_t n) {
    for (size_t ran = 0; ran < n; ++ran) {
      std::function<void()> step;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !steps_.empty(); })) {
          return false;
        }
        step = std::move(steps_.front());
        steps_.pop_front();
      }
      step();
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> steps_;
};

TEST(RequestFibersTest, ParkedRequestFreesItsThreadUntilItsWriteIsDurable) {
  storage::MemoryKvStore memory;
  GateKvStore kv(&memory);
  GroupCommitter committer(&kv);
  // Another caller leads a commit and is held in its write: the fiber's
  // commit must wait for the next group.
  std::thread leader([&] {
    storage::WriteBatch b;
    b.Put(Table::kTokens, "leader", "v");
    EXPECT_TRUE(committer.Commit(b).ok());
  });
  kv.WaitEntered(1);

  api::RequestFibers fibers;
  StepQueue session;
  absl::Status status = absl::UnknownError("not run");
  bool done = false;
  bool durable_when_done = false;
  // Start returns once the fiber has parked; if the commit blocked the
  // thread instead, it would not return until the gate opens.
  auto started = std::async(std::launch::async, [&] {
    fibers.Start(
        [&] {
          storage::WriteBatch b;
          b.Put(Table::kTokens, "parked", "v");
          status = committer.Commit(b, nullptr, CommitWait::kMayPark);
        },
        [&] {
          done = true;
          durable_when_done = memory.Get(Table::kTokens, "parked").ok();
        },
        [&](std::function<void()> step) { session.Post(std::move(step)); });
  });
  ASSERT_EQ(started.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the request's thread was blocked by its commit";
  EXPECT_FALSE(done);
  EXPECT_EQ(fibers.live(), 1u);
  while (committer.queued() != 1) std::this_thread::yield();  // queued once parked

  kv.Open();
  leader.join();
  ASSERT_TRUE(session.RunSteps(1)) << "the parked request was never resumed";
  EXPECT_TRUE(done);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(durable_when_done);  // resumed only after its group was written
  EXPECT_EQ(fibers.live(), 0u);
}

TEST(RequestFibersTest, ManyParkedRequestsShareAGroupAndEachResumesOnce) {
  storage::MemoryKvStore memory;
  GateKvStore kv(&memory);
  GroupCommitter committer(&kv);
  std::thread leader([&] {
    storage::WriteBatch b;
    b.Put(Table::kTokens, "leader", "v");
    EXPECT_TRUE(committer.Commit(b).ok());
  });
  kv.WaitEntered(1);

  constexpr int kRequests = 100;
  api::RequestFibers fibers;
  StepQueue session;
  std::atomic<int> done{0};
  std::atomic<int> ok{0};
  for (int i = 0; i < kRequests; ++i) {
    fibers.Start(
        [&, i] {
          storage::WriteBatch b;
          b.Put(Table::kTokens, "r" + std::to_string(i), "v");
          if (committer.Commit(b, nullptr, CommitWait::kMayPark).ok()) ++ok;
        },
        [&] { ++done; }, [&](std::function<void()> step) { session.Post(std::move(step)); });
  }
  EXPECT_EQ(done.load(), 0);
  EXPECT_EQ(committer.queued(), static_cast<size_t>(kRequests));
  const uint64_t groups_before = committer.groups();
  kv.Open();
  leader.join();
  ASSERT_TRUE(session.RunSteps(kRequests));
  EXPECT_EQ(done.load(), kRequests);
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_EQ(fibers.live(), 0u);
  EXPECT_EQ(memory.Dump()[static_cast<size_t>(Table::kTokens)].size(), kRequests + 1u);
  EXPECT_EQ(committer.groups(), groups_before + 1);  // all hundred in one synced write
}

// Reads one HTTP/1.1 response with a Content-Length body from `buffer`
// (filled from `fd` as needed); returns its head and body.
bool ReadResponse(int fd, std::string* buffer, std::string* head, std::string* body) {
  for (;;) {
    const size_t end = buffer->find("\r\n\r\n");
    if (end != std::string::npos) {
      *head = buffer->substr(0, end);
      const size_t cl = head->find("Content-Length: ");
      if (cl == std::string::npos) return false;
      const size_t length = std::stoul(head->substr(cl + 16));
      if (buffer->size() >= end + 4 + length) {
        *body = buffer->substr(end + 4, length);
        buffer->erase(0, end + 4 + length);
        return true;
      }
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

// Written on a raw TCP socket: plain HTTP only.
class VaultdPipelineTest : public VaultdHttpTest {};

TEST_P(VaultdPipelineTest, PipelinedRequestsAreAnsweredInOrder) {
  Provision();
  auto request = [](const std::string& method, const std::string& target, const std::string& key,
                    const std::string& id, const std::string& body) {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key +
           "\r\nX-Request-Id: " + id +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  const std::string item = R"({"items": [{"type": "phone", "value": "+8613800138000"}]})";
  // Routes handled on the I/O thread (tokenize, health) and on the handler
  // pool (tenant read, an unknown path) interleaved, all in one write.
  const std::string pipelined =
      request("POST", "/v1/tenants/acme/tokenize", tokenizer_key_, "p1", item) +
      request("GET", "/v1/sys/health", "", "p2", "") +
      request("GET", "/v1/tenants/acme", root_key_, "p3", "") +
      request("POST", "/v1/tenants/acme/tokenize", tokenizer_key_, "p4", item) +
      request("GET", "/v1/tenants/acme/no-such-thing", root_key_, "p5", "") +
      request("POST", "/v1/tenants/acme/tokenize", tokenizer_key_, "p6", item);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::send(fd, pipelined.data(), pipelined.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(pipelined.size()));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"p1", "200"}, {"p2", "200"}, {"p3", "200"}, {"p4", "200"}, {"p5", "404"}, {"p6", "200"}};
  std::string buffer, head, body;
  std::set<std::string> tokens;
  for (const auto& [id, status] : expected) {
    ASSERT_TRUE(ReadResponse(fd, &buffer, &head, &body)) << "no answer for " << id;
    EXPECT_EQ(head.substr(9, 3), status) << id << ": " << head;
    EXPECT_NE(head.find("X-Request-Id: " + id + "\r\n"), std::string::npos) << id << ": " << head;
    if (body.find("\"token\"") != std::string::npos) {
      tokens.insert(Parse<api::v1::TokenizeResponse>(body).items(0).token());
    }
  }
  ::close(fd);
  EXPECT_EQ(tokens.size(), 3u);  // three random tokens, each its own
}

INSTANTIATE_TEST_SUITE_P(Http, VaultdPipelineTest, ::testing::Values(false));

}  // namespace
}  // namespace vault::testing
