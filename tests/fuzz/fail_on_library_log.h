// Included by every fuzz target: anything protobuf logs at WARNING or above
// (an invalid UTF-8 string it refused to serialise or parse, a message it
// could not encode) fails the run, not only a crash. Such a log means stored
// data may have become unreadable, as an audit entry once did.
#ifndef VAULT_TESTS_FUZZ_FAIL_ON_LIBRARY_LOG_H_
#define VAULT_TESTS_FUZZ_FAIL_ON_LIBRARY_LOG_H_

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace vault::fuzz {

inline void AbortOnProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                               const std::string& message) {
  std::fprintf(stderr, "protobuf log %s:%d: %s\n", filename, line, message.c_str());
  if (level >= google::protobuf::LOGLEVEL_WARNING) std::abort();
}

// Installed before LLVMFuzzerTestOneInput runs (a static initialiser of
// the one translation unit of each target).
[[maybe_unused]] static const bool kProtobufLogHandlerInstalled =
    (google::protobuf::SetLogHandler(&AbortOnProtobufLog), true);

}  // namespace vault::fuzz

#endif  // VAULT_TESTS_FUZZ_FAIL_ON_LIBRARY_LOG_H_
