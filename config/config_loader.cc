#include "config/config_loader.h"

#include "config/daemon_config_internal.h"
#include "config/toml_internal.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

#include <variant>
#include <vector>

namespace creditd {
namespace {

using config_internal::LineOf;
using config_internal::Quote;
using config_internal::SortedEntries;
using config_internal::TokenKey;
using config_internal::TypeName;

// One key of a section and where its value goes.
struct Field {
  std::string_view name;
  std::variant<bool*, int64_t*, double*, std::string*> target;
};

std::string AllowedNames(const std::vector<Field>& fields) {
  std::string out;
  for (const Field& f : fields) {
    if (!out.empty()) out += ", ";
    out.append(f.name.data(), f.name.size());
  }
  return out;
}

class Loader {
 public:
  explicit Loader(std::string_view file) : file_(file) {}

  absl::StatusOr<DaemonConfig> Load(const toml::value& root) {
    DaemonConfig c;
    const std::vector<std::pair<std::string_view, std::vector<Field>>>
        sections = {
            {"server",
             {{"address", &c.listen_address},
              {"port", &c.listen_port},
              {"io_threads", &c.io_threads},
              {"time_zone", &c.time_zone},
              {"data_dir", &c.data_dir},
              {"measures_file", &c.measures_file}}},
            {"metrics",
             {{"enabled", &c.metrics_enabled},
              {"address", &c.metrics_address},
              {"port", &c.metrics_port}}},
            {"audit",
             {{"dir", &c.audit_dir},
              {"rotate_bytes", &c.audit_rotate_bytes},
              {"fsync_interval_ms", &c.audit_fsync_interval_ms}}},
            {"tls",
             {{"enabled", &c.tls_enabled},
              {"cert_file", &c.tls_cert_file},
              {"key_file", &c.tls_key_file}}},
            {"limits",
             {{"max_frame_bytes", &c.max_frame_bytes},
              {"max_preauth_frame_bytes", &c.max_preauth_frame_bytes},
              {"max_batch", &c.max_batch},
              {"max_connections", &c.max_connections},
              {"idle_timeout_seconds", &c.idle_timeout_seconds},
              {"max_output_buffer_bytes", &c.max_output_buffer_bytes},
              {"max_match_results", &c.max_match_results}}},
            {"auth", {}},  // read by ReadAuth
            {"dups", {{"rate_bar", &c.dup_rate_bar}}},
        };
    for (const auto& [key, value] : SortedEntries(root)) {
      const std::vector<Field>* fields = nullptr;
      for (const auto& [name, f] : sections) {
        if (name == key) fields = &f;
      }
      if (fields == nullptr) {
        return Error(LineOf(*value), key,
                     "unknown section (allowed: server, metrics, audit, tls, "
                     "limits, auth, dups)");
      }
      if (!value->is_table()) {
        return Error(
            LineOf(*value), key,
            absl::StrFormat("expected a table, got %s", TypeName(*value)));
      }
      lines_[key] = LineOf(*value);
      absl::Status s = key == "auth" ? ReadAuth(*value, c)
                                     : ReadSection(key, *value, *fields);
      if (!s.ok()) return s;
    }
    if (auto e = config_internal::FirstInvalidField(c)) {
      return Error(LineForKey(e->key), e->key, e->reason);
    }
    if (c.tls_enabled) {
      c.tls_cert_file_origin =
          absl::StrFormat("%s:%d", file_, LineForKey("tls.cert_file"));
      c.tls_key_file_origin =
          absl::StrFormat("%s:%d", file_, LineForKey("tls.key_file"));
    }
    return c;
  }

 private:
  absl::Status Error(int line, std::string_view key,
                     std::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d: %s: %s", file_, line, key, reason));
  }

  // The line of `key`, or of the nearest enclosing table that is in the file
  // (a missing tls.cert_file is reported at [tls]), or 1.
  int LineForKey(std::string key) const {
    while (true) {
      auto it = lines_.find(key);
      if (it != lines_.end()) return it->second;
      size_t cut = key.find_last_of(".[");
      if (cut == std::string::npos) return 1;
      key.resize(cut);
    }
  }

  absl::Status ReadSection(std::string_view section, const toml::value& table,
                           const std::vector<Field>& fields) {
    for (const auto& [name, value] : SortedEntries(table)) {
      std::string key = absl::StrFormat("%s.%s", section, name);
      const Field* field = nullptr;
      for (const Field& f : fields) {
        if (f.name == name) field = &f;
      }
      if (field == nullptr) {
        return Error(
            LineOf(*value), key,
            absl::StrFormat("unknown key (allowed: %s)", AllowedNames(fields)));
      }
      absl::Status s = Assign(key, *value, field->target);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Assign(
      const std::string& key, const toml::value& v,
      std::variant<bool*, int64_t*, double*, std::string*> target) {
    lines_[key] = LineOf(v);
    std::string_view want;
    if (auto* b = std::get_if<bool*>(&target)) {
      if (v.is_boolean()) return **b = v.as_boolean(), absl::OkStatus();
      want = "a boolean (true or false)";
    } else if (auto* i = std::get_if<int64_t*>(&target)) {
      if (v.is_integer()) return **i = v.as_integer(), absl::OkStatus();
      want = "an integer";
    } else if (auto* d = std::get_if<double*>(&target)) {
      if (v.is_floating()) return **d = v.as_floating(), absl::OkStatus();
      if (v.is_integer()) {
        **d = static_cast<double>(v.as_integer());
        return absl::OkStatus();
      }
      want = "a number";
    } else if (auto* s = std::get_if<std::string*>(&target)) {
      if (v.is_string()) return **s = v.as_string().str, absl::OkStatus();
      want = "a string";
    }
    return Error(LineOf(v), key,
                 absl::StrFormat("expected %s, got %s", want, TypeName(v)));
  }

  absl::Status ReadAuth(const toml::value& auth, DaemonConfig& c) {
    for (const auto& [name, value] : SortedEntries(auth)) {
      std::string key = absl::StrFormat("auth.%s", name);
      if (name != "tokens") {
        return Error(LineOf(*value), key, "unknown key (allowed: tokens)");
      }
      lines_[key] = LineOf(*value);
      if (!value->is_array()) {
        return Error(LineOf(*value), key,
                     absl::StrFormat("expected an array of tables "
                                     "([[auth.tokens]]), got %s",
                                     TypeName(*value)));
      }
      const auto& tokens = value->as_array();
      // Refused before reading any, so a huge list costs nothing.
      if (static_cast<int64_t>(tokens.size()) > limits::kMaxAuthTokens) {
        return Error(LineOf(*value), key,
                     absl::StrFormat("%d tokens is out of range (allowed "
                                     "range 0..%d)",
                                     tokens.size(), limits::kMaxAuthTokens));
      }
      for (size_t i = 0; i < tokens.size(); ++i) {
        absl::Status s = ReadToken(i, tokens[i], c);
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadToken(size_t i, const toml::value& t, DaemonConfig& c) {
    std::string key = absl::StrFormat("auth.tokens[%d]", i + 1);
    if (!t.is_table()) {
      return Error(LineOf(t), key,
                   absl::StrFormat("expected a table, got %s", TypeName(t)));
    }
    lines_[key] = LineOf(t);
    AuthToken token;
    bool has_name = false, has_sha = false, has_roles = false;
    for (const auto& [name, value] : SortedEntries(t)) {
      std::string field_key = TokenKey(i, name);
      absl::Status s;
      if (name == "name") {
        s = Assign(field_key, *value, &token.name);
        has_name = true;
      } else if (name == "sha256") {
        s = Assign(field_key, *value, &token.sha256_hex);
        // Digests are case-insensitive; store the form sha256sum prints.
        absl::AsciiStrToLower(&token.sha256_hex);
        has_sha = true;
      } else if (name == "rate_limit_per_second") {
        s = Assign(field_key, *value, &token.rate_limit_per_second);
      } else if (name == "roles") {
        s = ReadRoles(field_key, *value, token);
        has_roles = true;
      } else {
        s = Error(LineOf(*value), field_key,
                  "unknown key (allowed: name, sha256, roles, "
                  "rate_limit_per_second)");
      }
      if (!s.ok()) return s;
    }
    // Required keys have no useful default: name them rather than letting
    // Validate() complain about an empty value.
    std::string_view missing = !has_name    ? "name"
                               : !has_sha   ? "sha256"
                               : !has_roles ? "roles"
                                            : "";
    if (!missing.empty()) {
      return Error(LineOf(t), TokenKey(i, missing),
                   "missing (every token needs name, sha256 and roles)");
    }
    c.tokens.push_back(std::move(token));
    return absl::OkStatus();
  }

  absl::Status ReadRoles(const std::string& key, const toml::value& v,
                         AuthToken& token) {
    lines_[key] = LineOf(v);
    if (!v.is_array()) {
      return Error(LineOf(v), key,
                   absl::StrFormat("expected an array of role names, got %s",
                                   TypeName(v)));
    }
    for (const toml::value& r : v.as_array()) {
      if (!r.is_string()) {
        return Error(LineOf(r), key,
                     absl::StrFormat("expected role names (strings), got %s",
                                     TypeName(r)));
      }
      auto role = ParseRole(r.as_string().str);
      if (!role.ok())
        return Error(LineOf(r), key, std::string(role.status().message()));
      if (token.roles & *role) {
        return Error(
            LineOf(r), key,
            absl::StrFormat("role %s listed twice", Quote(r.as_string().str)));
      }
      token.roles |= *role;
    }
    return absl::OkStatus();
  }

  std::string file_;
  absl::flat_hash_map<std::string, int> lines_;  // key -> line in the file
};

}  // namespace

absl::StatusOr<DaemonConfig> ParseDaemonConfig(
    std::string_view text, std::string_view name_for_errors) {
  if (static_cast<int64_t>(text.size()) > limits::kMaxConfigFileBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: file is %d bytes (allowed at most %d)", name_for_errors,
        text.size(), limits::kMaxConfigFileBytes));
  }
  auto root = config_internal::ParseToml(text, name_for_errors);
  if (!root.ok()) return root.status();
  // Walking the tree uses only checked accessors (is_*() before as_*()), but
  // catch anyway: no toml11 exception may leave this file.
  try {
    return Loader(name_for_errors).Load(*root);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrFormat("%s: unexpected error reading the config: %s",
                        name_for_errors, std::string(e.what()).substr(0, 200)));
  }
}

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  auto text = config_internal::ReadSmallFile(path, limits::kMaxConfigFileBytes);
  if (!text.ok()) return text.status();
  auto config = ParseDaemonConfig(*text, path);
  if (!config.ok()) return config.status();
  const std::string dir = config_internal::DirName(path);
  for (std::string* p :
       {&config->data_dir, &config->measures_file, &config->audit_dir,
        &config->tls_cert_file, &config->tls_key_file}) {
    *p = config_internal::ResolvePath(dir, *p);
  }
  return config;
}

}  // namespace creditd
