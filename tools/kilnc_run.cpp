// `kilnc run`: one function of a text run through the JIT on .npy inputs, its results
// written as .npy files.
//
// Symbolic sizes take their values from the inputs: the text is read at two probe sizes, and
// an argument dim that follows a size's probe values is that size, whose value is then the
// input's dim there (two inputs that disagree are an error).
#include <algorithm>
#include <map>

#include "compiler/ir/inline.hpp"
#include "compiler/ir/verifier.hpp"
#include "frontend/npy.hpp"
#include "tools/kilnc.hpp"

namespace kilnc {
namespace {

using kiln::Module;

size_t pick_function(const Options& o, const Module& m) {
  std::string all;
  for (size_t i = 0; i < m.functions.size(); ++i) {
    if (m.functions[i].name == o.func) return i;
    all += (all.empty() ? "@" : ", @") + m.functions[i].name;
  }
  if (o.func.empty() && m.functions.size() == 1) return 0;
  if (m.functions.empty()) throw kiln::ValueError(o.input + ": no function to run");
  throw kiln::ValueError(o.input + ": " +
                         (o.func.empty() ? "pick the function to run with --func" : "no function @" + o.func) +
                         " (functions: " + all + ")");
}

// The value of every size, from the inputs' shapes.
kiln::SizeValues bind_sizes(const Options& o, const std::string& text, const std::vector<std::string>& names,
                            size_t index, const std::map<std::string, kiln::Array>& inputs) {
  kiln::SizeValues values;
  if (names.empty()) return values;
  const kiln::Function f0 = kiln::parse_with_sizes(text, o.input, kiln::probe_values(0, names)).functions.at(index);
  const kiln::Function f1 = kiln::parse_with_sizes(text, o.input, kiln::probe_values(1, names)).functions.at(index);
  for (size_t a = 0; a < f0.args.size(); ++a) {
    const kiln::Shape &s0 = f0.args[a].node->shape(), &s1 = f1.args[a].node->shape();
    const kiln::Array& in = inputs.at(f0.args[a].name);
    if (in.shape().size() != s0.size())
      throw kiln::ValueError("input " + f0.args[a].name + ": " + kiln::type_str(in.node()->type()) + " for an argument of rank " +
                             std::to_string(s0.size()));
    for (size_t d = 0; d < s0.size(); ++d) {
      if (s0[d] == s1[d]) continue;
      for (size_t s = 0; s < names.size(); ++s) {
        if (s0[d] != kiln::probe_size(0, s) || s1[d] != kiln::probe_size(1, s)) continue;
        auto [it, added] = values.emplace(names[s], in.shape()[d]);
        if (!added && it->second != in.shape()[d])
          throw kiln::ValueError("size " + names[s] + " is " + std::to_string(it->second) + " from one input and " +
                                 std::to_string(in.shape()[d]) + " from input " + f0.args[a].name);
      }
    }
  }
  for (const std::string& n : names)
    if (!values.count(n)) throw kiln::ValueError("size " + n + " is not the dim of any argument of @" + f0.name);
  return values;
}

}  // namespace

void run(const Options& o, const std::string& text) {
  std::map<std::string, kiln::Array> inputs;
  for (const auto& [name, path] : o.inputs)
    if (!inputs.emplace(name, kiln::load_npy(path)).second) throw kiln::ValueError("--in " + name + " is given twice");
  const std::vector<std::string> names = kiln::size_names(text, o.input);
  const size_t index = pick_function(o, kiln::parse_with_sizes(text, o.input, kiln::probe_values(0, names)));
  {
    const kiln::Function f = kiln::parse_with_sizes(text, o.input, kiln::probe_values(0, names)).functions[index];
    for (const kiln::Argument& a : f.args)
      if (!inputs.count(a.name)) throw kiln::ValueError("@" + f.name + " needs --in " + a.name + "=FILE.npy");
    for (const auto& [name, array] : inputs)
      if (std::none_of(f.args.begin(), f.args.end(), [&](const kiln::Argument& a) { return a.name == name; }))
        throw kiln::ValueError("--in " + name + ": @" + f.name + " has no argument %" + name);
    if (o.outputs.size() != f.results.size())
      throw kiln::ValueError("@" + f.name + " has " + std::to_string(f.results.size()) + " results but " +
                             std::to_string(o.outputs.size()) + " --out files were given");
  }
  Module m = kiln::parse_with_sizes(text, o.input, bind_sizes(o, text, names, index, inputs));
  kiln::verify(m);
  const kiln::Function& f = m.functions[index];
  std::vector<kiln::NodeRef> args;
  for (const kiln::Argument& a : f.args) args.push_back(inputs.at(a.name).node());
  std::vector<kiln::Array> results;
  for (kiln::NodeRef& r : kiln::inline_function(f, args)) results.emplace_back(std::move(r));
  kiln::eval(results);
  for (size_t i = 0; i < results.size(); ++i) kiln::save_npy(o.outputs[i], results[i]);
}

}  // namespace kilnc
