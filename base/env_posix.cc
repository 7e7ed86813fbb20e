// The POSIX Env.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/env.h"

namespace vault::base {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(
      absl::StrCat(absl::string_view(what.data(), what.size()), ": ", std::strerror(errno)));
}

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kFile;
  if (S_ISDIR(mode)) return FileType::kDir;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

// Opens `path` read-only (a folder too) and fsyncs it.
absl::Status SyncPath(const std::string& path, int flags, std::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return Errno(absl::StrCat("open ", absl::string_view(what.data(), what.size())));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus()
                 : Errno(absl::StrCat("fsync ", absl::string_view(what.data(), what.size())));
}

class PosixSequentialFile final : public SequentialFile {
 public:
  explicit PosixSequentialFile(int fd) : fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Errno("read");
      return static_cast<size_t>(got);
    }
  }

 private:
  int fd_;
};

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

  absl::StatusOr<std::unique_ptr<SequentialFile>> OpenForRead(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return absl::NotFoundError("open: no such file");
    if (fd < 0) return Errno("open");
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(fd));
  }

  absl::Status SyncDir(const std::string& dir) override {
    return SyncPath(dir, O_DIRECTORY, "dir");
  }

  absl::Status SyncFile(const std::string& path) override { return SyncPath(path, 0, "file"); }

  absl::StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return FileInfo{};
      return Errno("stat");
    }
    return FileInfo{TypeOf(st.st_mode), static_cast<uint64_t>(st.st_size),
                    static_cast<uint32_t>(st.st_mode & 07777)};
  }

  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Errno("open dir");
    std::vector<DirEntry> out;
    absl::Status status;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) status = Errno("read dir");
        break;
      }
      const std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        status = Errno("stat");
        break;
      }
      out.push_back(DirEntry{std::string(name), TypeOf(st.st_mode)});
    }
    ::closedir(d);
    if (!status.ok()) return status;
    std::sort(out.begin(), out.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return out;
  }

  absl::Status CreateDir(const std::string& dir, uint32_t mode) override {
    if (::mkdir(dir.c_str(), static_cast<mode_t>(mode)) == 0) return absl::OkStatus();
    if (errno == EEXIST) return absl::AlreadyExistsError("mkdir: already exists");
    return Errno("mkdir");
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? absl::OkStatus() : Errno("rename");
  }

  absl::Status RenameNoReplace(const std::string& from, const std::string& to) override {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return absl::OkStatus();
    }
    if (errno == EEXIST) return absl::AlreadyExistsError("rename: target exists");
    if (errno != EINVAL && errno != ENOSYS) return Errno("rename");
    // File systems without RENAME_NOREPLACE: link(2) refuses an existing target.
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) return absl::AlreadyExistsError("rename: target exists");
      return Errno("link");
    }
    return ::unlink(from.c_str()) == 0 ? absl::OkStatus() : Errno("unlink");
  }

  absl::Status Remove(const std::string& path) override {
    if (::remove(path.c_str()) == 0) return absl::OkStatus();
    if (errno == ENOENT) return absl::NotFoundError("remove: no such file");
    return Errno("remove");
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
