// vaultctl processors put|get|list|delete: the parties told of a tenant's
// erasures by signed notices (#17 item 4).
// Thread-safety: single-threaded. Prints what the server answers (URLs,
// counts and a fixed-phrase last error; never a processor's response).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ops/cli.h"

namespace vault::ops {
namespace {

std::string ProcessorLine(const v1::Processor& p) {
  return absl::StrFormat(
      "%s %s events=%s delivered=%d pending=%d%s", p.name(), p.url(), Join(p.events()),
      static_cast<int64_t>(p.delivered()), static_cast<int64_t>(p.pending()),
      p.last_error().empty() ? "" : absl::StrCat(" last_error=\"", p.last_error(), "\""));
}

std::string ProcessorTable(const v1::ProcessorList& list) {
  std::string out;
  for (const v1::Processor& p : list.processors()) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", ProcessorLine(p));
  }
  return out.empty() ? "no processors" : out;
}

}  // namespace

void AddProcessorsCommands(CLI::App& app, Globals& g) {
  struct Flags {
    std::string tenant, name, url, events = "erasure";
  };
  auto f = std::make_shared<Flags>();
  auto* group = app.add_subcommand("processors",
                                   "parties that received a tenant's data, told of its erasures");
  group->require_subcommand(1);

  auto* put = group->add_subcommand("put", "register a processor or change its URL");
  put->add_option("--tenant", f->tenant, "tenant id")->required();
  put->add_option("name", f->name, "processor name (a-z 0-9 - _)")->required();
  put->add_option("--url", f->url, "https://... (http:// only to a loopback host)")->required();
  put->add_option("--events", f->events, "comma-separated events (default: erasure)");
  OnRun(put, g, [&g, f] {
    return CallAndPrint<v1::Processor>(
        g,
        [f](VaultClient& c) {
          v1::PutProcessorRequest in;
          in.set_url(f->url);
          for (const std::string& e : SplitList(f->events)) in.add_events(e);
          return c.PutProcessor(f->tenant, f->name, in);
        },
        ProcessorLine);
  });

  auto* get = group->add_subcommand("get", "a processor with its delivery counts");
  get->add_option("--tenant", f->tenant, "tenant id")->required();
  get->add_option("name", f->name, "processor name")->required();
  OnRun(get, g, [&g, f] {
    return CallAndPrint<v1::Processor>(
        g, [f](VaultClient& c) { return c.GetProcessor(f->tenant, f->name); }, ProcessorLine);
  });

  auto* list = group->add_subcommand("list", "the tenant's processors");
  list->add_option("--tenant", f->tenant, "tenant id")->required();
  OnRun(list, g, [&g, f] {
    return CallAndPrint<v1::ProcessorList>(
        g, [f](VaultClient& c) { return c.ListProcessors(f->tenant); }, ProcessorTable);
  });

  auto* del = group->add_subcommand("delete", "remove a processor (drops undelivered notices)");
  del->add_option("--tenant", f->tenant, "tenant id")->required();
  del->add_option("name", f->name, "processor name")->required();
  OnRun(del, g, [&g, f] {
    return CallAndPrint<v1::Empty>(
        g, [f](VaultClient& c) { return c.DeleteProcessor(f->tenant, f->name); },
        [f](const v1::Empty&) { return absl::StrCat("processor ", f->name, " deleted"); });
  });
}

}  // namespace vault::ops
