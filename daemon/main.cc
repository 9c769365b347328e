// creditd: the daemon. `creditd --config FILE [--data DIR]`.
//
// Exit status: 0 after a graceful stop; 2 for bad usage; 1 when the config,
// the measures list or the data directory is unusable (the reason, with
// file:line for config errors, is printed on stderr) or a port cannot be
// bound. Prints "listening ADDR:PORT" (and "metrics ADDR:PORT") on stdout
// once it accepts connections, so scripts and tests can use port 0.
#include "config/config_loader.h"
#include "config/measures.h"
#include "daemon/server.h"
#include "daemon/state.h"
#include "daemon/tls.h"
#include "index/registry.h"

#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr char kUsage[] =
    "usage: creditd --config FILE [--data DIR]\n"
    "  --config FILE  daemon configuration (TOML, see "
    "config/creditd.example.toml)\n"
    "  --data DIR     data directory (overrides server.data_dir)\n"
    "Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the config and "
    "the measures list.\n";

int Fail(const std::string& what) {
  std::fprintf(stderr, "creditd: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string data_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--config" || arg == "--data") && i + 1 < argc) {
      (arg == "--config" ? config_path : data_dir) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "creditd: unknown argument '%.64s'\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  // Structured logs (key=value) on stderr; stdout carries only the ports.
  auto logger = spdlog::stderr_color_mt("creditd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_default_logger(logger);

  absl::StatusOr<creditd::DaemonConfig> config =
      creditd::LoadDaemonConfig(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  if (!data_dir.empty()) config->data_dir = data_dir;
  // Certificate problems are reported before the (long) registry load.
  auto tls = creditd::MakeServerTlsContext(*config);
  if (!tls.ok()) return Fail(std::string(tls.status().message()));

  absl::StatusOr<creditd::MeasuresList> measures =
      config->measures_file.empty()
          ? creditd::MeasuresList::BuiltinDefault()
          : creditd::MeasuresList::Load(config->measures_file);
  if (!measures.ok()) return Fail(std::string(measures.status().message()));

  auto registry = creditd::RegistryHolder::Open(config->data_dir);
  if (!registry.ok()) {
    return Fail("data " + config->data_dir + ": " +
                std::string(registry.status().message()));
  }
  const auto snap = (*registry)->Current();
  spdlog::info(
      "event=registry_loaded dir={} subjects={} records={} "
      "version={} millis={:.0f}",
      config->data_dir, snap->subject_count(), snap->record_count(),
      snap->version(), (*registry)->load_millis());

  creditd::DaemonState state(
      registry->get(), *config,
      std::make_shared<const creditd::MeasuresList>(std::move(*measures)));
  // The name index first: the check engine shares it.
  auto names = creditd::NameIndexSnapshot::Build(*snap);
  if (!names.ok()) return Fail(std::string(names.status().message()));
  state.set_names(std::move(*names));
  if (absl::Status s = state.StartCheckEngine(); !s.ok()) {
    if (s.code() == absl::StatusCode::kUnavailable) {
      spdlog::warn("event=check_engine_unavailable reason=\"{}\"",
                   std::string(s.message()));
    } else {
      return Fail(std::string(s.message()));
    }
  }

  creditd::Server server(&state, config_path, std::move(*tls));
  if (absl::Status s = server.Start(); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::printf("listening %s:%u\n", config->listen_address.c_str(),
              server.port());
  if (server.metrics_port() != 0) {
    std::printf("metrics %s:%u\n", config->metrics_address.c_str(),
                server.metrics_port());
  }
  std::fflush(stdout);
  spdlog::info("event=listening address={} port={} metrics_port={}",
               config->listen_address, server.port(), server.metrics_port());
  return server.Run();
}
