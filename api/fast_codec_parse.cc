// Parsing half of api/fast_codec.h: simdjson's DOM parser (it validates the
// whole document, UTF-8 included, before anything is read), then a walk
// that mirrors protobuf's JSON mapping for the hot request messages. Any
// case where protobuf's behaviour is unusual (null, duplicate keys, lists
// nested in lists, a map or list given where protobuf coerces it) is left
// to protobuf (kFallback); kRejected only where protobuf rejects whatever
// else the document holds: an unknown key, or a value of a JSON type the
// field can never take. tests/fuzz/fuzz_codec_diff.cc checks both claims.
#include <simdjson.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>

#include "api/fast_codec.h"

namespace vault::api::fast_codec {
namespace {

namespace dom = simdjson::dom;
using Type = dom::element_type;
using R = ParseResult;

// One per thread: the DOM parser and a padded copy of the input.
struct Scratch {
  dom::parser parser;
  std::unique_ptr<char[]> input;
  size_t input_capacity = 0;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// The input parsed into the thread's DOM. On destruction the copy of the
// input and the parser's unescaped strings are wiped (they hold values).
class Document {
 public:
  explicit Document(std::string_view json) : scratch_(ThreadScratch()), len_(json.size()) {
    const size_t needed = len_ + simdjson::SIMDJSON_PADDING;
    if (scratch_.input_capacity < needed) {
      scratch_.input = std::make_unique<char[]>(needed);
      scratch_.input_capacity = needed;
    }
    std::memcpy(scratch_.input.get(), json.data(), len_);
    std::memset(scratch_.input.get() + len_, 0, simdjson::SIMDJSON_PADDING);
    simdjson::simdjson_result<dom::element> parsed =
        scratch_.parser.parse(scratch_.input.get(), len_, false);
    error_ = parsed.error();
    if (error_ == simdjson::SUCCESS) root_ = parsed.value_unsafe();
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  ~Document() {
    explicit_bzero(scratch_.input.get(), len_);
    uint8_t* strings = scratch_.parser.doc.string_buf.get();
    // Past a capacity or allocation failure the buffer was not (re)sized
    // for this input and holds nothing of it.
    if (strings != nullptr && error_ != simdjson::CAPACITY && error_ != simdjson::MEMALLOC) {
      // document::allocate sizes the string buffer this way for len_ bytes;
      // the unescaped strings of an input of len_ bytes fit in it.
      explicit_bzero(strings, SIMDJSON_ROUNDUP_N(5 * len_ / 3 + simdjson::SIMDJSON_PADDING, 64));
    }
  }

  bool ok() const { return error_ == simdjson::SUCCESS; }
  dom::element root() const { return root_; }

 private:
  Scratch& scratch_;
  size_t len_;
  simdjson::error_code error_ = simdjson::UNINITIALIZED;
  dom::element root_;
};

// A JSON string for a proto3 string field.
R ParseString(dom::element v, std::string* out) {
  switch (v.type()) {
    case Type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      out->assign(s.data(), s.size());
      return R::kParsed;
    }
    case Type::NULL_VALUE: return R::kFallback;  // protobuf: the field is left unset
    default: return R::kRejected;
  }
}

// "-?(0|[1-9][0-9]*)" in int64 range; anything else ("+5", "05", " 5") is
// left to protobuf.
bool ParseDecimalInt64(std::string_view s, int64_t* out) {
  size_t digits = s.size();
  size_t first = 0;
  if (!s.empty() && s[0] == '-') {
    first = 1;
    --digits;
  }
  if (digits == 0 || (s[first] == '0' && digits > 1)) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

R ParseInt64(dom::element v, int64_t* out) {
  switch (v.type()) {
    case Type::INT64: *out = v.get_int64().value_unsafe(); return R::kParsed;
    case Type::STRING:
      return ParseDecimalInt64(v.get_string().value_unsafe(), out) ? R::kParsed : R::kFallback;
    case Type::BOOL:
    case Type::OBJECT:
    case Type::ARRAY: return R::kRejected;
    default: return R::kFallback;  // null, 1e2, 1.0, numbers past int64
  }
}

// The index of `key` in `names`, -1 when absent. A field's JSON name and
// its proto name map to the same index (protobuf accepts both).
struct FieldName {
  std::string_view name;
  int index;
};

template <size_t N>
int FieldIndex(std::string_view key, const FieldName (&names)[N]) {
  for (const FieldName& f : names) {
    if (f.name == key) return f.index;
  }
  return -1;
}

// Walks `object`'s members: an unknown key is rejected, a field given twice
// (also under its two names) is left to protobuf, each value goes to
// `member(index, value)`.
template <size_t N, typename Member>
R ForEachField(dom::object object, const FieldName (&names)[N], Member member) {
  uint32_t seen = 0;
  for (dom::key_value_pair kv : object) {
    const int index = FieldIndex(kv.key, names);
    if (index < 0) return R::kRejected;
    if ((seen & (1u << index)) != 0) return R::kFallback;
    seen |= 1u << index;
    if (R r = member(index, kv.value); r != R::kParsed) return r;
  }
  return R::kParsed;
}

constexpr FieldName kTokenizeItemNames[] = {{"type", 0},   {"value", 1},       {"subject", 2},
                                            {"format", 3}, {"ttl_seconds", 4}, {"ttlSeconds", 4}};

R ParseTokenizeItem(dom::object object, v1::TokenizeItem* item) {
  return ForEachField(object, kTokenizeItemNames, [item](int index, dom::element v) {
    switch (index) {
      case 0: return ParseString(v, item->mutable_type());
      case 1: return ParseString(v, item->mutable_value());
      case 2: return ParseString(v, item->mutable_subject());
      case 3: return ParseString(v, item->mutable_format());
      default: {
        int64_t ttl = 0;
        const R r = ParseInt64(v, &ttl);
        item->set_ttl_seconds(ttl);
        return r;
      }
    }
  });
}

// The shape every hot request shares: a root object, `parse_root` fills
// `out`, which is cleared unless parsing succeeded.
template <typename Message, typename ParseRoot>
R ParseDocument(std::string_view json, Message* out, ParseRoot parse_root) {
  out->Clear();
  Document doc(json);
  if (!doc.ok() || doc.root().type() != Type::OBJECT) return R::kFallback;
  const R r = parse_root(doc.root().get_object().value_unsafe());
  if (r != R::kParsed) out->Clear();
  return r;
}

constexpr FieldName kTokenizeRequestNames[] = {{"items", 0}};

R ParseItems(dom::element v, v1::TokenizeRequest* out) {
  switch (v.type()) {
    case Type::ARRAY: break;
    case Type::NULL_VALUE:
    case Type::OBJECT:  // protobuf reads {} as one empty item
      return R::kFallback;
    default: return R::kRejected;
  }
  const dom::array items = v.get_array().value_unsafe();  // a copy: outlives the result
  for (dom::element e : items) {
    if (e.type() == Type::NULL_VALUE || e.type() == Type::ARRAY) return R::kFallback;
    if (e.type() != Type::OBJECT) return R::kRejected;
    if (R r = ParseTokenizeItem(e.get_object().value_unsafe(), out->add_items()); r != R::kParsed) {
      return r;
    }
  }
  return R::kParsed;
}

constexpr FieldName kDetokenizeRequestNames[] = {{"tokens", 0}, {"reveal", 1}};

R ParseTokens(dom::element v, v1::DetokenizeRequest* out) {
  switch (v.type()) {
    case Type::ARRAY: break;
    case Type::OBJECT: return R::kRejected;
    default: return R::kFallback;  // null; a lone string is read as a list of one
  }
  const dom::array tokens = v.get_array().value_unsafe();
  for (dom::element e : tokens) {
    if (e.type() == Type::NULL_VALUE || e.type() == Type::ARRAY) return R::kFallback;
    if (e.type() != Type::STRING) return R::kRejected;
    std::string_view s = e.get_string().value_unsafe();
    out->add_tokens()->assign(s.data(), s.size());
  }
  return R::kParsed;
}

constexpr FieldName kFieldInputNames[] = {{"type", 0}, {"value", 1}, {"retention", 2}};
constexpr FieldName kPutSubjectRequestNames[] = {{"fields", 0}};

R ParseFieldInput(dom::object object, v1::FieldInput* field) {
  return ForEachField(object, kFieldInputNames, [field](int index, dom::element v) {
    switch (index) {
      case 0: return ParseString(v, field->mutable_type());
      case 1: return ParseString(v, field->mutable_value());
      default: return ParseString(v, field->mutable_retention());
    }
  });
}

R ParseFields(dom::element v, v1::PutSubjectRequest* out) {
  switch (v.type()) {
    case Type::OBJECT: break;
    case Type::NULL_VALUE:
    case Type::BOOL: return R::kFallback;
    default: return R::kRejected;
  }
  auto* fields = out->mutable_fields();
  const dom::object entries = v.get_object().value_unsafe();
  for (dom::key_value_pair kv : entries) {
    const std::string key(kv.key);
    if (kv.value.type() == Type::NULL_VALUE) return R::kFallback;
    if (kv.value.type() != Type::OBJECT || fields->count(key) != 0) return R::kRejected;
    if (R r = ParseFieldInput(kv.value.get_object().value_unsafe(), &(*fields)[key]);
        r != R::kParsed) {
      return r;
    }
  }
  return R::kParsed;
}

}  // namespace

ParseResult ParseTokenizeRequest(std::string_view json, v1::TokenizeRequest* out) {
  return ParseDocument(json, out, [out](dom::object root) {
    return ForEachField(root, kTokenizeRequestNames,
                        [out](int, dom::element v) { return ParseItems(v, out); });
  });
}

ParseResult ParseDetokenizeRequest(std::string_view json, v1::DetokenizeRequest* out) {
  return ParseDocument(json, out, [out](dom::object root) {
    return ForEachField(root, kDetokenizeRequestNames, [out](int index, dom::element v) {
      return index == 0 ? ParseTokens(v, out) : ParseString(v, out->mutable_reveal());
    });
  });
}

ParseResult ParsePutSubjectRequest(std::string_view json, v1::PutSubjectRequest* out) {
  return ParseDocument(json, out, [out](dom::object root) {
    return ForEachField(root, kPutSubjectRequestNames,
                        [out](int, dom::element v) { return ParseFields(v, out); });
  });
}

}  // namespace vault::api::fast_codec
