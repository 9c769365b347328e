#include "client/remote_command.h"

#include "client/client.h"

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"

#include <fstream>

namespace creditd {
namespace {

constexpr char kRemoteUsage[] =
    "usage: creditctl <command> --connect HOST:PORT [--connect HOST:PORT...]\n"
    "                 [--token-file FILE] [--timeout-ms N]\n"
    "                 [--tls [--tls-ca FILE]] ...\n"
    "  --tls           speak TLS (the daemon has [tls] enabled = true); the\n"
    "                  certificate must name HOST and chain to a system CA,\n"
    "                  or to --tls-ca FILE (PEM) when given\n"
    "  ping                              round trip to the daemon\n"
    "  check CODE [--name N] --scenario S [--date YYYY-MM-DD] [--admin]\n"
    "  match NAME [--top K] [--region PREFIX]\n"
    "  stats                             counters of the daemon\n"
    "  dups [--region PREFIX] [--limit N] the duplicate/erroneous-code report\n"
    "                                    (every page of findings, merged)\n";

int Print(const google::protobuf::Message& m, FILE* out) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, o);
  std::fputs(json.c_str(), out);
  return 0;
}

}  // namespace

bool HasConnectFlag(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--connect") return true;
  }
  return false;
}

int RunRemoteCommand(const std::string& command,
                     const std::vector<std::string>& args, FILE* out,
                     FILE* err) {
  ClientOptions options;
  options.client_name = "creditctl/0.1";
  std::vector<std::string> positional;
  std::string name, scenario, date, region, token_file;
  bool admin = false;
  uint32_t top = 0;
  uint32_t limit = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kRemoteUsage, out);
      return 0;
    } else if (a == "--connect" && has_value) {
      options.endpoints.push_back(args[++i]);
    } else if (a == "--tls") {
      options.tls = true;
    } else if (a == "--tls-ca" && has_value) {
      options.tls_ca_file = args[++i];
    } else if (a == "--token-file" && has_value) {
      token_file = args[++i];
    } else if (a == "--timeout-ms" && has_value) {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(args[++i], &ms) || ms <= 0) {
        std::fprintf(err, "creditctl: --timeout-ms: not a positive number\n");
        return 2;
      }
      options.request_timeout = std::chrono::milliseconds(ms);
    } else if (a == "--name" && has_value) {
      name = args[++i];
    } else if (a == "--scenario" && has_value) {
      scenario = args[++i];
    } else if (a == "--date" && has_value) {
      date = args[++i];
    } else if (a == "--region" && has_value) {
      region = args[++i];
    } else if (a == "--top" && has_value) {
      if (!absl::SimpleAtoi(args[++i], &top)) {
        std::fprintf(err, "creditctl: --top: not a number\n");
        return 2;
      }
    } else if (a == "--limit" && has_value) {
      if (!absl::SimpleAtoi(args[++i], &limit)) {
        std::fprintf(err, "creditctl: --limit: not a number\n");
        return 2;
      }
    } else if (a == "--admin") {
      admin = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(err, "creditctl: unknown option '%.64s'\n%s", a.c_str(),
                   kRemoteUsage);
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (options.endpoints.empty()) {
    std::fprintf(err, "creditctl: %s needs --connect HOST:PORT\n%s",
                 command.c_str(), kRemoteUsage);
    return 2;
  }
  if (!options.tls_ca_file.empty() && !options.tls) {
    std::fprintf(err, "creditctl: --tls-ca needs --tls\n");
    return 2;
  }
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in || !std::getline(in, options.token)) {
      std::fprintf(err, "creditctl: %s: cannot read the token\n",
                   token_file.c_str());
      return 2;
    }
  }
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(err, "creditctl: %s\n",
                 std::string(client.status().message()).c_str());
    return 2;
  }
  auto fail = [&](const absl::Status& s) {
    std::fprintf(err, "creditctl: %s\n", std::string(s.message()).c_str());
    return 1;
  };
  if (command == "ping") {
    auto r = (*client)->Ping("creditctl");
    if (!r.ok()) return fail(r.status());
    std::fprintf(out, "pong from %s (%s, protocol %u)\n",
                 (*client)->endpoint().c_str(),
                 (*client)->hello().server().c_str(),
                 (*client)->hello().protocol_version());
    return 0;
  }
  if (command == "stats") {
    auto r = (*client)->Stats();
    return r.ok() ? Print(*r, out) : fail(r.status());
  }
  if (command == "check") {
    if (positional.size() > 1 || (positional.empty() && name.empty())) {
      std::fprintf(err, "creditctl: check takes one CODE (or --name)\n%s",
                   kRemoteUsage);
      return 2;
    }
    proto::CheckRequest c;
    if (!positional.empty()) c.set_code(positional[0]);
    c.set_name(name);
    c.set_scenario(scenario);
    c.set_date(date);
    c.set_admin_view(admin);
    auto r = (*client)->Check(c);
    return r.ok() ? Print(*r, out) : fail(r.status());
  }
  if (command == "match") {
    if (positional.size() != 1) {
      std::fprintf(err, "creditctl: match takes one NAME\n%s", kRemoteUsage);
      return 2;
    }
    proto::MatchRequest m;
    m.set_name(positional[0]);
    m.set_top_k(top);
    m.set_region_prefix(region);
    auto r = (*client)->Match(m);
    return r.ok() ? Print(*r, out) : fail(r.status());
  }
  if (command == "dups") {
    // Fetches every page and prints one response: the first page's totals
    // and the findings of all pages. The daemon validates the prefix.
    proto::DuplicateReportRequest d;
    d.set_region_prefix(region);
    d.set_limit(limit);
    auto first = (*client)->DuplicateReport(d);
    if (!first.ok()) return fail(first.status());
    proto::DuplicateReportResponse all = *first;
    uint32_t offset = first->next_offset();
    while (offset != 0) {
      d.set_offset(offset);
      auto page = (*client)->DuplicateReport(d);
      if (!page.ok()) return fail(page.status());
      all.mutable_findings()->MergeFrom(page->findings());
      // A daemon that does not advance would loop forever: stop instead.
      if (page->next_offset() <= offset) break;
      offset = page->next_offset();
    }
    all.set_next_offset(0);
    return Print(all, out);
  }
  std::fprintf(err, "creditctl: %s does not take --connect\n%s",
               command.c_str(), kRemoteUsage);
  return 2;
}

}  // namespace creditd
