// Route handlers for tokenize, detokenize and token revocation.
// Thread-safety: stateless; see api/internal/routes.h.
// Never logs; plaintext values are wiped from request and reply buffers.
#include <utility>

#include "api/internal/fast_wire.h"
#include "api/internal/routes.h"
#include "api/status_http.h"
#include "api/wire.h"
#include "crypto/secret_bytes.h"

namespace vault::api::internal {

HttpResponse HandleTokenize(Call& call) {
  v1::TokenizeRequest in;
  if (absl::Status st = ParseHot(call, &in, fast_codec::ParseTokenizeRequest); !st.ok()) {
    return call.Error(st);
  }
  std::vector<TokenizeItem> items;
  for (const auto& i : in.items()) {
    items.push_back({i.type(), i.value(), i.subject(), i.format(), i.ttl_seconds()});
  }
  absl::StatusOr<std::vector<TokenizeResult>> r =
      call.access().Tokenize(*call.ctx, call.Param("tenant"), items);
  for (TokenizeItem& i : items) crypto::SecureWipe(i.value);
  if (!r.ok()) return call.Error(r.status());
  v1::TokenizeResponse out;
  for (const TokenizeResult& t : *r) {
    v1::TokenizedItem* item = out.add_items();
    item->set_token(t.token);
    item->set_type(std::string(DataTypeName(t.type)));
  }
  if (call.metrics != nullptr) call.metrics->Add("tokens_issued", r->size());
  return ReplyHot(call, out, fast_codec::PrintTokenizeResponse);
}

HttpResponse HandleDetokenize(Call& call) {
  v1::DetokenizeRequest in;
  if (absl::Status st = ParseHot(call, &in, fast_codec::ParseDetokenizeRequest); !st.ok()) {
    return call.Error(st);
  }
  absl::StatusOr<RevealLevel> reveal = RevealLevelOrMasked(in.reveal());
  if (!reveal.ok()) return call.Error(reveal.status());
  std::vector<std::string> tokens(in.tokens().begin(), in.tokens().end());
  absl::StatusOr<std::vector<DetokenizeResult>> r =
      call.access().Detokenize(*call.ctx, call.Param("tenant"), tokens, *reveal);
  if (!r.ok()) return call.Error(r.status());
  v1::DetokenizeResponse out;
  uint64_t revealed = 0, denied = 0;
  for (DetokenizeResult& d : *r) {
    v1::DetokenizedItem* item = out.add_items();
    item->set_token(d.token);
    if (d.status.ok()) {
      item->set_type(std::string(DataTypeName(d.type)));
      item->set_value(std::move(d.value));
      item->set_reveal(std::string(RevealLevelName(d.reveal)));
      ++revealed;
    } else {
      item->mutable_error()->set_code(std::string(ItemErrorCode(d.status)));
      if (absl::IsPermissionDenied(d.status)) ++denied;
    }
  }
  if (call.metrics != nullptr) {
    call.metrics->Add("detokenizations", revealed);
    if (denied > 0) call.metrics->Add("denials", denied);
  }
  HttpResponse reply = ReplyHot(call, out, fast_codec::PrintDetokenizeResponse);
  for (auto& item : *out.mutable_items()) crypto::SecureWipe(*item.mutable_value());
  return reply;
}

HttpResponse HandleRevokeToken(Call& call) {
  if (absl::Status st = call.access().Revoke(*call.ctx, call.Param("tenant"), call.Param("token"));
      !st.ok()) {
    return call.Error(st);
  }
  return call.NoContent();
}

}  // namespace vault::api::internal
