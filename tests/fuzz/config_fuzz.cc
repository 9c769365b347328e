// libFuzzer target: the daemon configuration and measures-list loaders.
#include "config/config_loader.h"
#include "config/measures.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)creditd::ParseDaemonConfig(input, "fuzz.toml");
  (void)creditd::MeasuresList::Parse(input, "fuzz.toml");
  return 0;
}
