// vaultctl's shared plumbing (see cli.h).
#include "ops/cli.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ops/offline.h"

namespace vault::ops {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "vaultctl: error: %s\n", std::string(status.message()).c_str());
  return kFailed;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "vaultctl: usage error: %s\n", message.c_str());
  return kUsage;
}

absl::StatusOr<std::unique_ptr<VaultClient>> Connect(const Globals& g) {
  client::ClientOptions options = g.client;
  options.timeout = std::chrono::seconds(g.timeout_s);
  return VaultClient::Create(std::move(options));
}

int PrintAnswer(const Globals& g, const google::protobuf::Message& answer,
                const std::string& text) {
  if (g.json) {
    std::printf("%s\n", client::ToAnswerJson(answer).c_str());
  } else if (!text.empty()) {
    std::printf("%s\n", text.c_str());
  }
  return kOk;
}

void OnRun(CLI::App* sub, Globals& g, std::function<int()> command) {
  sub->callback([&g, command = std::move(command)] { g.result = command(); });
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::string> PublicKeyFrom(const std::string& b64, const std::string& file) {
  if (!file.empty()) {
    absl::StatusOr<std::string> text = ReadFileOrStdin(file);
    if (!text.ok()) return text.status();
    return ParsePublicKey(*text);
  }
  return ParsePublicKey(b64);
}

}  // namespace vault::ops
