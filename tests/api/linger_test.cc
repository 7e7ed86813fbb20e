// The 413/431 linger path of the real vaultd, over loopback sockets: clients
// that keep trickling bytes after their request was refused are cut off at
// the linger caps (time, bytes) and hold no slot of max_connections, so
// /v1/sys/health and /v1/sys/unseal stay reachable while they trickle.
// Every loop here is bounded in count and in time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxConnections = 4;
// The server's defaults (api/server.h): lingering ends 5 s after the refusal.
constexpr milliseconds kLingerCap{5000};
// Scheduling slack on a loaded 2-core machine.
constexpr milliseconds kSlack{2000};
constexpr milliseconds kTrickleEvery{200};  // well under the old 2 s idle reset

// Headers that are refused with 413 as soon as they are complete.
const char kHugeRequest[] =
    "POST /v1/sys/unseal HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Content-Length: 1000000000\r\n\r\n{";

// One raw loopback connection that trickles bytes after its 413.
struct Trickler {
  int fd = -1;
  std::string received;
  bool refused = false;  // the 413 arrived
  bool closed = false;   // the server closed (FIN or reset)
  Clock::time_point refused_at, closed_at;
  size_t sent = 0;

  bool Connect(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  void Send(const char* data, size_t n) {
    if (closed) return;
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) sent += static_cast<size_t>(w);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) MarkClosed();
  }
  // Reads whatever is there without blocking (bounded: 64 reads).
  void Poll() {
    char buf[4096];
    for (int i = 0; i < 64 && !closed; ++i) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        received.append(buf, static_cast<size_t>(n));
        if (!refused && received.rfind("HTTP/1.1 413", 0) == 0) {
          refused = true;
          refused_at = Clock::now();
        }
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) MarkClosed();
      return;
    }
  }
  void MarkClosed() {
    closed = true;
    closed_at = Clock::now();
  }
  ~Trickler() {
    if (fd >= 0) ::close(fd);
  }
};

class LingerTest : public ::testing::Test {
 protected:
  void StartVaultd(const std::string& extra_config = "") {
    data_ = dir_.Sub("data");
    std::ofstream(dir_.Sub("vaultd.conf"))
        << "max_connections: " << kMaxConnections << "\nread_timeout_ms: 3000\n"
        << extra_config;
    server_ = std::make_unique<VaultdProcess>(std::vector<std::string>{
        "--dev", "--data-dir", data_, "--config", dir_.Sub("vaultd.conf")});
    ASSERT_GT(server_->port(), 0) << "vaultd did not start";
  }

  // Opens `t`, sends the refused headers and waits (at most 3 s) for the 413
  // or the close, trickling nothing meanwhile.
  void OpenRefused(Trickler& t) {
    ASSERT_TRUE(t.Connect(server_->port()));
    t.Send(kHugeRequest, sizeof kHugeRequest - 1);
    const auto until = Clock::now() + milliseconds(3000);
    while (!t.refused && !t.closed && Clock::now() < until) {
      t.Poll();
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

  ops::HttpResult Call(const std::string& method, const std::string& target,
                       const std::string& body = "") {
    ops::HttpClient client("127.0.0.1", server_->port());
    client.set_timeout(milliseconds(3000));
    return client.Request(method, target, body);
  }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<VaultdProcess> server_;
};

TEST_F(LingerTest, TricklersAfter413NeitherLockOutUnsealNorLingerPastTheCap) {
  StartVaultd();
  constexpr int kTricklers = 3 * kMaxConnections;
  std::vector<Trickler> tricklers(kTricklers);
  // One at a time, so each is refused (and lingering) before the next one
  // connects; the ones already open keep trickling meanwhile.
  for (int i = 0; i < kTricklers; ++i) {
    OpenRefused(tricklers[static_cast<size_t>(i)]);
    EXPECT_TRUE(tricklers[static_cast<size_t>(i)].refused)
        << "trickler " << i << " got no 413 (closed at accept: over max_connections?)";
    for (int j = 0; j < i; ++j) tricklers[static_cast<size_t>(j)].Send("x", 1);
  }

  int open_before = 0;
  for (const Trickler& t : tricklers) open_before += t.closed ? 0 : 1;

  // The tricklers keep sending a byte every 200 ms on their own thread
  // while this thread calls the server; they stop when all are closed or
  // at the deadline.
  std::atomic<int> open{open_before};
  const auto deadline = Clock::now() + kLingerCap + kSlack + milliseconds(1000);
  std::thread pump([&] {
    while (Clock::now() < deadline) {
      int still_open = 0;
      for (Trickler& t : tricklers) {
        t.Poll();
        t.Send("x", 1);
        if (!t.closed) ++still_open;
      }
      open = still_open;
      if (still_open == 0) break;
      std::this_thread::sleep_for(kTrickleEvery);
    }
  });

  // Reachable while more than max_connections tricklers are attached.
  ops::HttpResult health = Call("GET", "/v1/sys/health");
  EXPECT_EQ(health.status, 200) << health.error;
  // Any answer from the unseal route proves it is reachable (the dev vault
  // is unsealed already; the share is malformed).
  ops::HttpResult unseal = Call("POST", "/v1/sys/unseal", R"({"share": "vs1-nope"})");
  EXPECT_NE(unseal.status, 0) << unseal.error;
  const int open_after = open.load();
  EXPECT_GT(std::min(open_before, open_after), kMaxConnections)
      << "the server must have answered while the tricklers were attached";

  pump.join();
  for (int i = 0; i < kTricklers; ++i) {
    const Trickler& t = tricklers[static_cast<size_t>(i)];
    if (!t.refused) continue;  // reported above
    EXPECT_TRUE(t.closed)
        << "trickler " << i << " still connected "
        << std::chrono::duration_cast<milliseconds>(Clock::now() - t.refused_at).count()
        << " ms after its 413";
    if (t.closed) {
      EXPECT_LE(t.closed_at - t.refused_at, kLingerCap + kSlack) << "trickler " << i;
    }
  }
}

TEST_F(LingerTest, LingeringStopsAtTheByteCap) {
  StartVaultd();
  Trickler t;
  OpenRefused(t);
  ASSERT_TRUE(t.refused);
  // 128 KiB at once (twice the 64 KiB cap), then a byte every 200 ms: the
  // old idle timer alone (2 s, reset by every byte) would never fire.
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 32; ++i) t.Send(chunk.data(), chunk.size());
  const auto sent_bulk = Clock::now();
  const auto until = sent_bulk + kLingerCap - milliseconds(1500);
  while (!t.closed && Clock::now() < until) {
    t.Poll();
    t.Send("x", 1);
    std::this_thread::sleep_for(kTrickleEvery);
  }
  EXPECT_TRUE(t.closed) << "still lingering after " << t.sent << " bytes";
}

TEST_F(LingerTest, FullLingerCapClosesAtOnceAndIsAMetric) {
  StartVaultd("max_lingering_connections: 2\n");
  std::vector<Trickler> tricklers(4);
  for (Trickler& t : tricklers) {
    OpenRefused(t);
    EXPECT_TRUE(t.refused);
  }
  // The first two linger; the last two were closed right after their 413.
  const auto until = Clock::now() + milliseconds(1500);
  while (Clock::now() < until && !(tricklers[2].closed && tricklers[3].closed)) {
    for (Trickler& t : tricklers) {
      t.Poll();
      t.Send("x", 1);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_FALSE(tricklers[0].closed);
  EXPECT_FALSE(tricklers[1].closed);
  EXPECT_TRUE(tricklers[2].closed);
  EXPECT_TRUE(tricklers[3].closed);
  ops::HttpResult metrics = Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  EXPECT_NE(metrics.body.find("\nvaultd_lingering_connections 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("\nvaultd_lingering_connections_limit 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nvaultd_linger_skipped_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace vault::testing
