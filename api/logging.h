// vaultd's log lines on stderr: text (default) or one JSON object per line
// (--log-format json) with time, level and msg, and for access lines method,
// route, status, duration_ms, principal and request_id. Written by spdlog's
// background thread (off the request path). Never give it keys, API keys or
// personal data: messages are written as given.
// Thread-safety: InitLogging once at start-up, before other threads log;
// LogAccess from any thread.
#ifndef VAULT_API_LOGGING_H_
#define VAULT_API_LOGGING_H_

#include <chrono>
#include <string>
#include <string_view>

namespace vault::api {

enum class LogFormat { kText, kJson };

// "text" or "json" (also "" = text); false for anything else.
bool ParseLogFormat(std::string_view name, LogFormat* format);

// Creates the default logger (async, stderr) in `format`.
void InitLogging(LogFormat format);
// Switches the format of the loggers InitLogging made.
void SetLogFormat(LogFormat format);

struct AccessLine {
  std::string_view method;
  std::string_view route;  // the route template (never the path with values)
  int status = 0;
  double duration_ms = 0;
  std::string_view principal;  // "" when unauthenticated
  std::string_view request_id;
};
void LogAccess(const AccessLine& line);

// JSON string contents for `text`: quotes, backslashes and control
// characters escaped, invalid UTF-8 bytes replaced by U+FFFD.
std::string JsonEscape(std::string_view text);

// One JSON log line (with its newline), as the formatter writes it:
// {"time":...,"level":...,"msg":...}. For the access logger ("access") the
// payload is already a list of JSON members (built by LogAccess).
std::string FormatJsonLine(std::string_view logger, std::string_view level,
                           std::chrono::system_clock::time_point time, std::string_view payload);

}  // namespace vault::api

#endif  // VAULT_API_LOGGING_H_
