// libFuzzer target for the text-form parser: any bytes must either parse (and then verify,
// print and parse back to the same text) or throw a kiln::Error, never crash or hang.
// Built with -DKILN_BUILD_FUZZERS=ON under Clang (see tests/fuzz/CMakeLists.txt); run as
//   kiln_parse_fuzzer tests/data/malformed tests/text
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/symbolic.hpp"
#include "compiler/ir/verifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    kiln::Module m = kiln::parse_with_sizes(text, "fuzz.kir", kiln::probe_values(0, {"n", "m"}));
    kiln::verify(m);
    const std::string printed = kiln::print_module(m);
    if (kiln::print_module(kiln::parse_module(printed, "printed.kir")) != printed) __builtin_trap();
  } catch (const kiln::Error&) {
    // A malformed input: the error is the expected outcome.
  }
  return 0;
}
