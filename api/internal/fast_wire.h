// Internal to vaultd's RequestHandler: the hot routes' (routes_tokens.cc,
// routes_subjects.cc) way to read a JSON body and write a JSON reply with
// api/fast_codec.h, and protobuf's mapping (Call::Parse, Call::Reply) for
// binary protobuf, for what the fast parser leaves undecided or rejects
// (so the error is today's), and for a reply it declines to print.
// Thread-safety: as Call (one request on one thread).
#ifndef VAULT_API_INTERNAL_FAST_WIRE_H_
#define VAULT_API_INTERNAL_FAST_WIRE_H_

#include <string>
#include <string_view>

#include "api/fast_codec.h"
#include "api/internal/routes.h"

namespace vault::api::internal {

template <typename Message>
using FastParser = fast_codec::ParseResult (*)(std::string_view, Message*);
template <typename Message>
using FastPrinter = bool (*)(const Message&, std::string*);

// As call.Parse(in), faster for a JSON body.
template <typename Message>
absl::Status ParseHot(Call& call, Message* in, FastParser<Message> fast) {
  if (!call.binary_in) {
    // An empty body is {}, as in Call::Parse.
    const std::string_view body =
        call.req.body.empty() ? std::string_view("{}") : std::string_view(call.req.body);
    if (fast(body, in) == fast_codec::ParseResult::kParsed) return absl::OkStatus();
  }
  return call.Parse(in);
}

// As call.Reply(out) (status 200), faster for a JSON reply.
template <typename Message>
HttpResponse ReplyHot(Call& call, const Message& out, FastPrinter<Message> fast) {
  if (!call.binary_out) {
    HttpResponse r;  // 200, application/json: what Call::Reply sets
    if (fast(out, &r.body)) return r;
  }
  return call.Reply(out);
}

}  // namespace vault::api::internal

#endif  // VAULT_API_INTERNAL_FAST_WIRE_H_
