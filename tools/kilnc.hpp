// Private to kilnc: its options and the two things it does (kilnc.cpp reads the command line,
// kilnc_emit.cpp compiles a text to one output kind, kilnc_run.cpp runs a function on .npy
// files). Both throw kiln::Error for a problem with the input; kilnc.cpp turns that into
// exit status 1.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/symbolic.hpp"

namespace kilnc {

struct Options {
  bool run = false;  // `kilnc run ...`
  bool help = false;
  std::string input;
  std::string output;  // empty: stdout
  std::string emit = "obj";
  std::string cpu;     // empty: the host
  int opt_level = 3;
  bool vector_math = false;
  bool locations = true;
  std::vector<std::string> grad;
  kiln::SizeValues sizes;  // --size=NAME=VALUE
  // run
  std::string func;
  std::vector<std::pair<std::string, std::string>> inputs;  // (argument name, .npy path)
  std::vector<std::string> outputs;
};

// The output of `--emit=KIND` for the text of `o.input`. Throws kiln::Error.
std::string emit(const Options& o, const std::string& text);

// Runs the function, reading and writing .npy files. Throws kiln::Error.
void run(const Options& o, const std::string& text);

}  // namespace kilnc
