// The POSIX Env.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/env.h"

namespace vault::base {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(absl::StrCat(absl::string_view(what.data(), what.size()), ": ",
                                             std::strerror(errno)));
}

class PosixRandomWriteFile final : public RandomWriteFile {
 public:
  PosixRandomWriteFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~PosixRandomWriteFile() override { ::close(fd_); }
  uint64_t size_at_open() const override { return size_; }
  absl::StatusOr<size_t> WriteAt(uint64_t offset, std::string_view data) override {
    for (;;) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("write");
      if (n == 0 && !data.empty()) return absl::UnavailableError("write: no progress");
      return static_cast<size_t>(n);
    }
  }
  absl::Status Sync() override { return ::fsync(fd_) == 0 ? absl::OkStatus() : Errno("fsync"); }

 private:
  int fd_;
  uint64_t size_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::optional<std::string>();
      return Errno("open");
    }
    std::string out;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        absl::Status s = Errno("read");
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return std::optional<std::string>(std::move(out));
  }

  absl::StatusOr<std::unique_ptr<RandomWriteFile>> OpenForOverwrite(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Errno("open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      absl::Status s = Errno("stat");
      ::close(fd);
      return s;
    }
    return std::unique_ptr<RandomWriteFile>(
        new PosixRandomWriteFile(fd, static_cast<uint64_t>(st.st_size)));
  }

  absl::Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open dir");
    const int rc = ::fsync(fd);
    ::close(fd);
    return rc == 0 ? absl::OkStatus() : Errno("fsync dir");
  }
};

}  // namespace

Env& Env::Posix() {
  static PosixEnv* const env = new PosixEnv;
  return *env;
}

absl::Status WriteFully(RandomWriteFile& file, uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    absl::StatusOr<size_t> n = file.WriteAt(offset, data);
    if (!n.ok()) return n.status();
    offset += *n;
    data.remove_prefix(*n);
  }
  return absl::OkStatus();
}

}  // namespace vault::base
