// Route handlers for the web console: GET /ui/ and GET /ui/<file>, the files
// of console/ built into vaultd (api/internal/console_files.h). Public, like
// /v1/sys/health: the files hold no data; the page's API calls carry the
// user's API key. Every answer carries a strict Content-Security-Policy (no
// inline scripts or styles, same-origin fetches only) and refuses framing.
#include <string>
#include <string_view>

#include "api/internal/console_files.h"
#include "api/internal/routes.h"

namespace vault::api::internal {

namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view ContentTypeOf(std::string_view name) {
  auto ends_with = [name](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

void AddConsoleHeaders(HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace

HttpResponse HandleConsoleFile(Call& call) {
  std::string_view name = call.Param("file");
  if (name.empty()) name = "index.html";
  for (const ConsoleFile& file : ConsoleFiles()) {
    if (file.name != name) continue;
    HttpResponse response;
    response.content_type = std::string(ContentTypeOf(name));
    response.body = std::string(file.content);
    AddConsoleHeaders(response);
    return response;
  }
  HttpResponse response = call.Error(absl::NotFoundError("no such console file"));
  AddConsoleHeaders(response);
  return response;
}

HttpResponse HandleConsoleRedirect(Call& /*call*/) {
  HttpResponse response;
  response.status = 308;
  response.content_type.clear();
  response.headers.emplace_back("Location", "/ui/");
  AddConsoleHeaders(response);
  return response;
}

}  // namespace vault::api::internal
