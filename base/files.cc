// Private files and folders (mode 0600 / 0700), over an Env.
#include "base/files.h"

#include <memory>
#include <vector>

#include "base/strings.h"

namespace vault {
namespace {

absl::Status Context(std::string_view what, const absl::Status& s) {
  return absl::Status(s.code(), Cat(what, ": ", s.message()));
}

absl::Status RemoveIfPresent(base::Env& env, const std::string& path) {
  absl::Status s = env.Remove(path);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

// Writes `contents` into the fresh file `path` and fsyncs it.
absl::Status WriteNewFile(base::Env& env, const std::string& path, std::string_view contents) {
  absl::StatusOr<std::unique_ptr<base::RandomWriteFile>> file = env.OpenForOverwrite(path);
  if (!file.ok()) return file.status();
  if (absl::Status s = base::WriteFully(**file, 0, contents); !s.ok()) return s;
  return (*file)->Sync();
}

// Copies the file `from` to the fresh file `to` in chunks, fsynced.
absl::Status CopyFile(base::Env& env, const std::string& from, const std::string& to) {
  absl::StatusOr<std::unique_ptr<base::SequentialFile>> in = env.OpenForRead(from);
  if (!in.ok()) return in.status();
  absl::StatusOr<std::unique_ptr<base::RandomWriteFile>> out = env.OpenForOverwrite(to);
  if (!out.ok()) return out.status();
  std::vector<char> buffer(1 << 16);
  uint64_t offset = 0;
  for (;;) {
    absl::StatusOr<size_t> n = (*in)->Read(buffer.data(), buffer.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    if (absl::Status s = base::WriteFully(**out, offset, std::string_view(buffer.data(), *n));
        !s.ok()) {
      return s;
    }
    offset += *n;
  }
  return (*out)->Sync();
}

}  // namespace

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status PrepareDataDir(base::Env& env, const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("data folder is not set");
  absl::Status made = env.CreateDir(dir, 0700);
  if (!made.ok() && !absl::IsAlreadyExists(made)) {
    return absl::UnavailableError(Cat("cannot create data folder: ", made.message()));
  }
  absl::StatusOr<base::FileInfo> info = env.Stat(dir);
  if (!info.ok() || info->type != base::FileType::kDir) {
    return absl::FailedPreconditionError("data folder is not a directory");
  }
  if ((info->mode & 077) != 0) {
    return absl::FailedPreconditionError(
        "data folder must not be accessible to group or others (chmod 700)");
  }
  return absl::OkStatus();
}

absl::Status WritePrivateFile(base::Env& env, const std::string& path, std::string_view contents,
                              IfExists if_exists) {
  const std::string tmp = Cat(path, ".tmp");
  auto fail = [&](std::string_view what, const absl::Status& s) {
    (void)RemoveIfPresent(env, tmp);
    return absl::UnavailableError(Cat("cannot ", what, " ", path, ": ", s.message()));
  };
  // A temporary left by a crash is stale: start it afresh (OpenForOverwrite
  // does not truncate).
  if (absl::Status s = RemoveIfPresent(env, tmp); !s.ok()) return fail("create", s);
  if (absl::Status s = WriteNewFile(env, tmp, contents); !s.ok()) return fail("write", s);
  if (if_exists == IfExists::kFail) {
    absl::Status s = env.RenameNoReplace(tmp, path);
    if (absl::IsAlreadyExists(s)) {
      (void)RemoveIfPresent(env, tmp);
      return absl::AlreadyExistsError(Cat(path, " already exists"));
    }
    if (!s.ok()) return fail("create", s);
  } else if (absl::Status s = env.Rename(tmp, path); !s.ok()) {
    return fail("replace", s);
  }
  if (absl::Status s = env.SyncDir(ParentDir(path)); !s.ok()) {
    // A new file that may not survive a crash is not created: take it back.
    if (if_exists == IfExists::kFail) (void)RemoveIfPresent(env, path);
    return absl::UnavailableError(Cat("cannot write ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status RemoveTree(base::Env& env, const std::string& path) {
  absl::Status removed = env.Remove(path);
  if (removed.ok() || absl::IsNotFound(removed)) return absl::OkStatus();
  // Not empty (or not removable as it is): a folder's entries first.
  absl::StatusOr<std::vector<base::DirEntry>> entries = env.ListDir(path);
  if (!entries.ok()) return Context(Cat("remove ", path), removed);
  for (const base::DirEntry& e : *entries) {
    const std::string child = Cat(path, "/", e.name);
    absl::Status s = e.type == base::FileType::kDir ? RemoveTree(env, child) : env.Remove(child);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return RemoveIfPresent(env, path);
}

absl::Status CopyTree(base::Env& env, const std::string& from, const std::string& to) {
  if (absl::Status s = env.CreateDir(to, 0700); !s.ok()) return Context(Cat("create ", to), s);
  absl::StatusOr<std::vector<base::DirEntry>> entries = env.ListDir(from);
  if (!entries.ok()) return entries.status();
  for (const base::DirEntry& e : *entries) {
    const std::string src = Cat(from, "/", e.name);
    const std::string dst = Cat(to, "/", e.name);
    absl::Status s;
    if (e.type == base::FileType::kDir) {
      s = CopyTree(env, src, dst);
    } else if (e.type == base::FileType::kFile) {
      s = CopyFile(env, src, dst);
    } else {
      s = absl::InvalidArgumentError(Cat("not a file or folder: ", e.name));
    }
    if (!s.ok()) return s;
  }
  return env.SyncDir(to);
}

absl::Status SyncTree(base::Env& env, const std::string& root) {
  absl::StatusOr<std::vector<base::DirEntry>> entries = env.ListDir(root);
  if (!entries.ok()) return entries.status();
  for (const base::DirEntry& e : *entries) {
    const std::string child = Cat(root, "/", e.name);
    absl::Status s = e.type == base::FileType::kDir ? SyncTree(env, child) : env.SyncFile(child);
    if (!s.ok()) return s;
  }
  return env.SyncDir(root);
}

}  // namespace vault
