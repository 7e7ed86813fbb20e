// Spawns vaultd with its stdout on a pipe and parses the port.
#include "tests/api/vaultd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

namespace vault::testing {

VaultdProcess::VaultdProcess(std::vector<std::string> args) {
  args.insert(args.begin(), VAULTD_PATH);
  args.push_back("--listen");
  args.push_back("127.0.0.1:0");
  int out[2];
  if (::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  // Read stdout until the "listening on" line (or EOF).
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) == 0) {
      port_ = std::atoi(line.substr(line.rfind(':') + 1).c_str());
      break;
    }
    line.clear();
  }
  // Keep draining stdout in the background so the server never blocks on it.
  std::thread([fd = out[0]] {
    char buf[256];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }).detach();
}

int VaultdProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void VaultdProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

VaultdProcess::~VaultdProcess() { Kill(); }

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace vault::testing
