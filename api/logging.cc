// JSON and text log lines through spdlog (see logging.h).
#include "api/logging.h"

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "spdlog/async.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace vault::api {
namespace {

constexpr char kAccessLogger[] = "access";
std::atomic<bool> json_format{false};

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t len = 0;
  uint32_t min = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(text[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// RFC 3339 UTC with milliseconds, e.g. 2026-12-03T07:16:37.123Z.
std::string FormatTime(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const time_t secs = static_cast<time_t>(ms.count() / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];  // fits any int fields (gcc checks the bound)
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    const std::string line =
        FormatJsonLine(std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                       std::string_view(level.data(), level.size()), msg.time,
                       std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

void ApplyFormat(const std::shared_ptr<spdlog::logger>& logger, LogFormat format) {
  if (logger == nullptr) return;
  if (format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
  }
}

}  // namespace

bool ParseLogFormat(std::string_view name, LogFormat* format) {
  if (name.empty() || name == "text") {
    *format = LogFormat::kText;
    return true;
  }
  if (name == "json") {
    *format = LogFormat::kJson;
    return true;
  }
  return false;
}

void InitLogging(LogFormat format) {
  // One background thread writes every line, so lines never interleave.
  spdlog::init_thread_pool(16384, 1);
  spdlog::set_default_logger(spdlog::stderr_logger_mt<spdlog::async_factory>("vaultd"));
  spdlog::stderr_logger_mt<spdlog::async_factory>(kAccessLogger);
  SetLogFormat(format);
}

void SetLogFormat(LogFormat format) {
  json_format = format == LogFormat::kJson;
  ApplyFormat(spdlog::default_logger(), format);
  ApplyFormat(spdlog::get(kAccessLogger), format);
}

void LogAccess(const AccessLine& a) {
  const std::string principal = a.principal.empty() ? "-" : std::string(a.principal);
  if (!json_format.load()) {
    spdlog::info("{} {} {} {:.2f}ms principal={} request_id={}", a.method, a.route, a.status,
                 a.duration_ms, principal, a.request_id);
    return;
  }
  std::shared_ptr<spdlog::logger> access = spdlog::get(kAccessLogger);
  if (access == nullptr) return;
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.3f", a.duration_ms);
  const std::string method = JsonEscape(a.method);
  const std::string route = JsonEscape(a.route);
  const std::string members =
      "\"msg\":\"" + method + " " + route + " " + std::to_string(a.status) + "\",\"method\":\"" +
      method + "\",\"route\":\"" + route + "\",\"status\":" + std::to_string(a.status) +
      ",\"duration_ms\":" + duration + ",\"principal\":\"" + JsonEscape(principal) +
      "\",\"request_id\":\"" + JsonEscape(a.request_id) + "\"";
  access->info("{}", members);
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = Utf8Length(text, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(text.substr(i, len));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    i += len;
  }
  return out;
}

std::string FormatJsonLine(std::string_view logger, std::string_view level,
                           std::chrono::system_clock::time_point time, std::string_view payload) {
  std::string line =
      "{\"time\":\"" + FormatTime(time) + "\",\"level\":\"" + JsonEscape(level) + "\",";
  if (logger == kAccessLogger) {
    line += payload;  // members built (and escaped) by LogAccess
  } else {
    line += "\"msg\":\"" + JsonEscape(payload) + "\"";
  }
  line += "}\n";
  return line;
}

}  // namespace vault::api
