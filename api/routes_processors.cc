// Route handlers for a tenant's processors: the parties that received its
// data and get a signed notice of each of its erasures (#17 item 4).
// Thread-safety: stateless; see api/internal/routes.h.
// Never logs; replies carry the stored record and counts only.
#include <string>
#include <vector>

#include "api/api.pb.h"
#include "api/internal/routes.h"

namespace vault::api::internal {
namespace {

v1::Processor ProcessorView(const ProcessorStatus& p) {
  v1::Processor out;
  out.set_name(p.record.name());
  out.set_url(p.record.url());
  for (const std::string& e : p.record.events()) out.add_events(e);
  out.set_delivered(static_cast<double>(p.record.delivered()));
  out.set_pending(static_cast<double>(p.pending));
  out.set_last_error(p.record.last_error());
  return out;
}

}  // namespace

HttpResponse HandlePutProcessor(Call& call) {
  const std::string& name = call.Param("name");
  v1::PutProcessorRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  if (!in.name().empty() && in.name() != name) {
    return call.Error(absl::InvalidArgumentError("name in the body differs from the path"));
  }
  std::vector<std::string> events(in.events().begin(), in.events().end());
  absl::StatusOr<ProcessorStatus> saved =
      call.access().PutProcessor(*call.ctx, call.Param("tenant"), name, in.url(), events);
  if (!saved.ok()) return call.Error(saved.status());
  return call.Reply(ProcessorView(*saved));
}

HttpResponse HandleGetProcessor(Call& call) {
  absl::StatusOr<ProcessorStatus> p =
      call.access().GetProcessor(*call.ctx, call.Param("tenant"), call.Param("name"));
  if (!p.ok()) return call.Error(p.status());
  return call.Reply(ProcessorView(*p));
}

HttpResponse HandleDeleteProcessor(Call& call) {
  if (absl::Status st =
          call.access().DeleteProcessor(*call.ctx, call.Param("tenant"), call.Param("name"));
      !st.ok()) {
    return call.Error(st);
  }
  return call.NoContent();
}

HttpResponse HandleListProcessors(Call& call) {
  absl::StatusOr<std::vector<ProcessorStatus>> all =
      call.access().ListProcessors(*call.ctx, call.Param("tenant"));
  if (!all.ok()) return call.Error(all.status());
  v1::ProcessorList out;
  for (const ProcessorStatus& p : *all) *out.add_processors() = ProcessorView(p);
  return call.Reply(out);
}

}  // namespace vault::api::internal
