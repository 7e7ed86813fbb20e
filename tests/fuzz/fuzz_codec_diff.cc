// libFuzzer target: api/fast_codec.h against protobuf's JSON mapping, the
// one it replaces on the hot routes. Input: the first byte picks the mode.
// Odd: the rest is a request body, fed to the fast parser and to
// JsonStringToMessage (unknown fields rejected, as Call::Parse does) for
// each hot request message; the run fails if the fast path accepts what
// protobuf rejects, rejects what it accepts, or parses to another message.
// Accepted requests are then printed as responses both ways. Even: the rest
// is split at 0xff bytes into strings that fill each hot response message,
// printed both ways; the bytes must be identical (a map of two or more
// entries, which protobuf prints in hash order, must hold the same entries
// and the same number of bytes). A string that is not valid UTF-8 must make
// the fast printer decline.
#include <google/protobuf/stubs/common.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.pb.h"
#include "api/fast_codec.h"
#include "tests/fuzz/fail_on_library_log.h"

namespace {

namespace pb = google::protobuf;
namespace fc = vault::api::fast_codec;
namespace v1 = vault::api::v1;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_codec_diff: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::string ProtobufPrint(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!pb::util::MessageToJsonString(message, &out, options).ok()) Fail("protobuf print", "");
  return out;
}

bool ProtobufParse(std::string_view json, pb::Message* message) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return pb::util::JsonStringToMessage(std::string(json), message, options).ok();
}

// Every string in `message` (map keys and values included) is valid UTF-8.
bool AllValidUtf8(const pb::Message& message) {
  const pb::Reflection* r = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(message, f) : 1;
    for (int i = 0; i < n; ++i) {
      if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
        if (!AllValidUtf8(f->is_repeated() ? r->GetRepeatedMessage(message, f, i)
                                           : r->GetMessage(message, f))) {
          return false;
        }
      } else if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
        const std::string s =
            f->is_repeated() ? r->GetRepeatedString(message, f, i) : r->GetString(message, f);
        if (!pb::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()))) {
          return false;
        }
      }
    }
  }
  return true;
}

// Prints `message` both ways. `map_size` is the number of entries of its
// map field (0 if none).
template <typename Message>
void DiffPrint(const Message& message, bool (*fast)(const Message&, std::string*),
               size_t map_size) {
  std::string mine = "x";  // the printers append
  const bool printed = fast(message, &mine);
  if (!AllValidUtf8(message)) {
    if (printed) Fail("fast printer accepted invalid UTF-8", mine);
    if (mine != "x") Fail("fast printer changed its output on failure", mine);
    return;
  }
  if (!printed) Fail("fast printer declined valid UTF-8", message.DebugString());
  mine.erase(0, 1);
  const std::string theirs = ProtobufPrint(message);
  if (map_size <= 1) {
    if (mine != theirs) Fail("printed bytes differ", theirs + "\n" + mine);
    return;
  }
  Message back;
  if (mine.size() != theirs.size() || !ProtobufParse(mine, &back) ||
      !pb::util::MessageDifferencer::Equals(back, message)) {
    Fail("printed map differs", theirs + "\n" + mine);
  }
}

void PrintFromRequest(const v1::TokenizeRequest& in) {
  v1::TokenizeResponse out;
  for (const v1::TokenizeItem& i : in.items()) {
    v1::TokenizedItem* item = out.add_items();
    item->set_token(i.value());
    item->set_type(i.subject());
  }
  DiffPrint(out, fc::PrintTokenizeResponse, 0);
}

void PrintFromRequest(const v1::DetokenizeRequest& in) {
  v1::DetokenizeResponse out;
  for (int i = 0; i < in.tokens_size(); ++i) {
    v1::DetokenizedItem* item = out.add_items();
    item->set_token(in.tokens(i));
    if (i % 2 == 0) {
      item->set_value(in.reveal());
    } else {
      item->mutable_error()->set_code(in.reveal());
    }
  }
  DiffPrint(out, fc::PrintDetokenizeResponse, 0);
}

void PrintFromRequest(const v1::PutSubjectRequest& in) {
  v1::SubjectResponse out;
  for (const auto& [name, f] : in.fields()) {
    v1::FieldView& view = (*out.mutable_fields())[name];
    view.set_type(f.type());
    view.set_value(f.value());
    view.set_reveal(f.retention());
  }
  DiffPrint(out, fc::PrintSubjectResponse, out.fields_size());
}

template <typename Message>
void DiffParse(std::string_view json, fc::ParseResult (*fast)(std::string_view, Message*)) {
  Message mine;
  const fc::ParseResult r = fast(json, &mine);
  Message theirs;
  const bool accepted = ProtobufParse(json, &theirs);
  switch (r) {
    case fc::ParseResult::kParsed:
      if (!accepted) Fail("fast parser accepted what protobuf rejects", json);
      if (!pb::util::MessageDifferencer::Equals(mine, theirs)) {
        Fail("parsed messages differ", theirs.DebugString() + "\n" + mine.DebugString());
      }
      PrintFromRequest(mine);
      break;
    case fc::ParseResult::kRejected:
      if (accepted) Fail("fast parser rejected what protobuf accepts", json);
      break;
    case fc::ParseResult::kFallback:
      if (mine.ByteSizeLong() != 0) Fail("fallback left a partial message", json);
      break;
  }
}

// The strings of the print mode, taken in turn (empty once used up).
class Strings {
 public:
  explicit Strings(std::string_view data) {
    size_t start = 0;
    for (size_t i = 0; i <= data.size(); ++i) {
      if (i == data.size() || static_cast<uint8_t>(data[i]) == 0xff) {
        all_.emplace_back(data.substr(start, i - start));
        start = i + 1;
      }
    }
  }
  const std::string& Next() { return next_ < all_.size() ? all_[next_++] : kEmpty; }
  bool Done() const { return next_ >= all_.size(); }

 private:
  static inline const std::string kEmpty;
  std::vector<std::string> all_;
  size_t next_ = 0;
};

void DiffPrintTokenize(std::string_view data) {
  Strings s(data);
  v1::TokenizeResponse m;
  while (!s.Done()) {
    v1::TokenizedItem* item = m.add_items();
    item->set_token(s.Next());
    item->set_type(s.Next());
  }
  DiffPrint(m, fc::PrintTokenizeResponse, 0);
}

void DiffPrintDetokenize(std::string_view data) {
  Strings s(data);
  v1::DetokenizeResponse m;
  while (!s.Done()) {
    v1::DetokenizedItem* item = m.add_items();
    const std::string& flags = s.Next();
    const unsigned f = flags.empty() ? 0 : static_cast<uint8_t>(flags[0]);
    item->set_token(s.Next());
    if ((f & 1) != 0) item->set_type(s.Next());
    if ((f & 2) != 0) item->set_value(s.Next());
    if ((f & 4) != 0) item->set_reveal(s.Next());
    if ((f & 8) != 0) item->mutable_error();
    if ((f & 16) != 0) item->mutable_error()->set_code(s.Next());
  }
  DiffPrint(m, fc::PrintDetokenizeResponse, 0);
}

void DiffPrintSubjects(std::string_view data) {
  Strings s(data);
  v1::PutSubjectResponse put;
  v1::SubjectResponse read;
  put.set_subject(s.Next());
  read.set_subject(put.subject());
  const std::string& withheld = s.Next();
  for (char c : withheld) read.add_withheld(std::string(static_cast<size_t>(c & 3), c));
  while (!s.Done()) {
    const std::string& key = s.Next();
    (*put.mutable_tokens())[key] = s.Next();
    v1::FieldView& f = (*read.mutable_fields())[key];
    f.set_type(s.Next());
    f.set_value(s.Next());
    f.set_reveal(s.Next());
  }
  DiffPrint(put, fc::PrintPutSubjectResponse, put.tokens_size());
  DiffPrint(read, fc::PrintSubjectResponse, read.fields_size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    DiffParse(rest, fc::ParseTokenizeRequest);
    DiffParse(rest, fc::ParseDetokenizeRequest);
    DiffParse(rest, fc::ParsePutSubjectRequest);
  } else {
    DiffPrintTokenize(rest);
    DiffPrintDetokenize(rest);
    DiffPrintSubjects(rest);
  }
  return 0;
}
