// Printing half of api/fast_codec.h: the hot response messages written out
// field by field, in the order and with the escaping of protobuf's JSON
// printer (google/protobuf/util/internal/json_escaping.cc): control
// characters, '"', '\\', '<', '>', DEL, the C1 controls and a fixed list of
// invisible or formatting code points become \u escapes (supplementary ones
// as a surrogate pair); everything else is copied as UTF-8.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "api/fast_codec.h"

namespace vault::api::fast_codec {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex4(uint32_t unit, std::string* out) {
  const char escape[6] = {'\\',
                          'u',
                          kHex[(unit >> 12) & 0xf],
                          kHex[(unit >> 8) & 0xf],
                          kHex[(unit >> 4) & 0xf],
                          kHex[unit & 0xf]};
  out->append(escape, sizeof(escape));
}

// Escapes an ASCII byte that is not copied as is.
void AppendAsciiEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '\b': out->append("\\b"); return;
    case '\t': out->append("\\t"); return;
    case '\n': out->append("\\n"); return;
    case '\f': out->append("\\f"); return;
    case '\r': out->append("\\r"); return;
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    default: AppendHex4(c, out);  // other controls, '<', '>', DEL
  }
}

bool CopiedAsIs(unsigned char c) {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>';
}

// Decodes one well-formed UTF-8 sequence of 2 to 4 bytes at `p` (no
// overlong forms, no surrogates, at most U+10FFFF); its length, 0 if none.
size_t DecodeMultibyte(const unsigned char* p, size_t n, uint32_t* cp) {
  const unsigned char c = p[0];
  size_t len = 0;
  uint32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, min = 0x80, *cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, min = 0x800, *cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, min = 0x10000, *cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    *cp = (*cp << 6) | (p[i] & 0x3f);
  }
  if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return 0;
  return len;
}

// Code points of 0xa0 and above that protobuf escapes.
bool EscapedCodePoint(uint32_t cp) {
  switch (cp) {
    case 0xfeff:
    case 0xfff9:
    case 0xfffa:
    case 0xfffb:
    case 0x00ad:
    case 0x06dd:
    case 0x070f:
    case 0x17b4:
    case 0x17b5: return true;
    default:
      return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) ||
             (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
             (cp >= 0x206a && cp <= 0x206f) || cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) ||
             (cp >= 0xe0020 && cp <= 0xe007f);
  }
}

void AppendCodePointEscape(uint32_t cp, std::string* out) {
  if (cp < 0x10000) {
    AppendHex4(cp, out);
    return;
  }
  AppendHex4(0xd800 + ((cp - 0x10000) >> 10), out);
  AppendHex4(0xdc00 + ((cp - 0x10000) & 0x3ff), out);
}

void AppendKey(std::string_view key, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

// `"name":"value"` preceded by a comma unless `first`.
bool AppendStringField(std::string_view name, std::string_view value, std::string* out,
                       bool first = false) {
  if (!first) out->push_back(',');
  AppendKey(name, out);
  return AppendJsonString(value, out);
}

template <typename Strings>
bool AppendStringList(const Strings& strings, std::string* out) {
  out->push_back('[');
  bool first = true;
  for (const std::string& s : strings) {
    if (!first) out->push_back(',');
    first = false;
    if (!AppendJsonString(s, out)) return false;
  }
  out->push_back(']');
  return true;
}

// A map's entries in key order: `value(entry_value, out)` prints a value.
template <typename Map, typename PrintValue>
bool AppendSortedMap(const Map& map, std::string* out, PrintValue value) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  out->push_back('{');
  bool first = true;
  for (const auto* entry : entries) {
    if (!first) out->push_back(',');
    first = false;
    if (!AppendJsonString(entry->first, out)) return false;
    out->push_back(':');
    if (!value(entry->second, out)) return false;
  }
  out->push_back('}');
  return true;
}

// Runs `print`, which appends to `out`; on failure what it appended (it
// may hold values) is zeroed and cut off, so `out` is as it was.
template <typename Print>
bool AppendAll(std::string* out, Print print) {
  const size_t size = out->size();
  if (print()) return true;
  std::fill(out->begin() + static_cast<std::ptrdiff_t>(size), out->end(), '\0');
  out->resize(size);
  return false;
}

bool AppendDetokenizedItem(const v1::DetokenizedItem& item, std::string* out) {
  out->push_back('{');
  if (!AppendStringField("token", item.token(), out, true)) return false;
  // protobuf prints the proto3 optional fields (synthetic oneofs) after
  // the others, so `error` comes before them.
  if (item.has_error()) {
    out->append(",\"error\":{");
    if (!AppendStringField("code", item.error().code(), out, true)) return false;
    out->push_back('}');
  }
  if (item.has_type() && !AppendStringField("type", item.type(), out)) return false;
  if (item.has_value() && !AppendStringField("value", item.value(), out)) return false;
  if (item.has_reveal() && !AppendStringField("reveal", item.reveal(), out)) return false;
  out->push_back('}');
  return true;
}

}  // namespace

bool AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of the bytes not yet copied
  size_t i = 0;
  while (i < n) {
    if (CopiedAsIs(p[i])) {
      ++i;
      continue;
    }
    out->append(s.data() + run, i - run);
    if (p[i] < 0x80) {
      AppendAsciiEscape(p[i], out);
      run = ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeMultibyte(p + i, n - i, &cp);
    if (len == 0) return false;
    if (cp < 0xa0 || EscapedCodePoint(cp)) {
      AppendCodePointEscape(cp, out);
    } else {
      out->append(s.data() + i, len);
    }
    i += len;
    run = i;
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
  return true;
}

bool PrintTokenizeResponse(const v1::TokenizeResponse& message, std::string* out) {
  return AppendAll(out, [&] {
    out->append("{\"items\":[");
    bool first = true;
    for (const v1::TokenizedItem& item : message.items()) {
      out->append(first ? "{" : ",{");
      first = false;
      if (!AppendStringField("token", item.token(), out, true) ||
          !AppendStringField("type", item.type(), out)) {
        return false;
      }
      out->push_back('}');
    }
    out->append("]}");
    return true;
  });
}

bool PrintDetokenizeResponse(const v1::DetokenizeResponse& message, std::string* out) {
  return AppendAll(out, [&] {
    out->append("{\"items\":[");
    bool first = true;
    for (const v1::DetokenizedItem& item : message.items()) {
      if (!first) out->push_back(',');
      first = false;
      if (!AppendDetokenizedItem(item, out)) return false;
    }
    out->append("]}");
    return true;
  });
}

bool PrintPutSubjectResponse(const v1::PutSubjectResponse& message, std::string* out) {
  return AppendAll(out, [&] {
    out->push_back('{');
    if (!AppendStringField("subject", message.subject(), out, true)) return false;
    out->append(",\"tokens\":");
    if (!AppendSortedMap(message.tokens(), out, AppendJsonString)) return false;
    out->push_back('}');
    return true;
  });
}

bool PrintSubjectResponse(const v1::SubjectResponse& message, std::string* out) {
  return AppendAll(out, [&] {
    out->push_back('{');
    if (!AppendStringField("subject", message.subject(), out, true)) return false;
    out->append(",\"fields\":");
    const bool fields_ok =
        AppendSortedMap(message.fields(), out, [](const v1::FieldView& f, std::string* o) {
          o->push_back('{');
          const bool ok = AppendStringField("type", f.type(), o, true) &&
                          AppendStringField("value", f.value(), o) &&
                          AppendStringField("reveal", f.reveal(), o);
          o->push_back('}');
          return ok;
        });
    if (!fields_ok) return false;
    out->append(",\"withheld\":");
    if (!AppendStringList(message.withheld(), out)) return false;
    out->push_back('}');
    return true;
  });
}

}  // namespace vault::api::fast_codec
