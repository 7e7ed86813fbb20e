// The process's random source: libsodium's per-thread generator, reseeded in
// a forked child so the child neither aborts nor repeats its parent's bytes.
#include "crypto/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

std::string Draw() {
  std::string out(32, '\0');
  SystemRandom::Instance().Fill(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

TEST(RandomTest, ThreadsDrawDifferentBytes) {
  ASSERT_TRUE(EnsureSodiumInitialized().ok());
  std::vector<std::string> draws(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < draws.size(); ++i) threads.emplace_back([&, i] { draws[i] = Draw(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(draws.begin(), draws.end()).size(), draws.size());
}

TEST(RandomTest, AForkedChildDrawsOtherBytesThanItsParent) {
  ASSERT_TRUE(EnsureSodiumInitialized().ok());
  Draw();  // the parent's stream is in use before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    const std::string bytes = Draw();  // aborts if the inherited stream were used
    _exit(::write(fds[1], bytes.data(), bytes.size()) == 32 ? 0 : 1);
  }
  ::close(fds[1]);
  const std::string parent = Draw();
  std::string from_child(32, '\0');
  EXPECT_EQ(::read(fds[0], from_child.data(), from_child.size()), 32);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(from_child, parent);  // not the parent's next bytes
}

}  // namespace
}  // namespace vault::crypto
