// Tracing C++ functions of Arrays into graph IR, and calling them compiled, like jax.jit.
//
// trace(fn, inputs) calls fn on placeholder arrays (params without values: fn builds graph
// nodes and evaluates nothing) and records the graph it builds as a named Function. An input
// dim may be a size name (`{"n", 3}`): fn is then traced at several probe sizes and the text
// form names the dims that follow n (compiler/ir/symbolic.hpp); a function whose graph does
// not follow its sizes (a reshape to 3*n, a slice that depends on n, a Python-style branch on
// the size) is a ValueError saying where. Limits: dims are names or integers, never
// expressions; at most four size names; fn must not evaluate (item(), printing) while traced.
//
// jit(fn) and compile(f) make callables. A call on arrays that all have their values runs
// the function's own graph with its params bound to them (evaluate_with: no node is built);
// a call with a pending argument builds the function's graph on the arguments
// (inline_function), so that it fuses with theirs, and evaluates it. Either way the first call
// with given input types compiles the kernels, later calls find the schedule and kernels
// cached and only launch. Kernels take their sizes at run time, so a call with a new batch
// size traces fn again (jit) but compiles nothing new. A call runs on its arguments' device
// (one for all, scalars aside), or the default device when it has none.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "compiler/ir/symbolic.hpp"
#include "frontend/array.hpp"

namespace kiln {

// A dim of an input: a number, or a size name.
struct Dim {
  Dim(int64_t v) : value(v) {}
  Dim(int v) : value(static_cast<int64_t>(v)) {}
  Dim(const char* name) : value(std::string(name)) {}
  Dim(std::string name) : value(std::move(name)) {}
  std::variant<int64_t, std::string> value;
};

struct InputSpec {
  std::string name;  // the argument's name in the text form (%name)
  DType dtype = DType::F32;
  std::vector<Dim> shape;
};

using ArrayFunction = std::function<std::vector<Array>(const std::vector<Array>&)>;

class TracedFunction {
 public:
  const std::string& name() const { return name_; }
  // The size names of the inputs, in order of first use.
  const std::vector<std::string>& sizes() const { return sizes_; }
  // The function at the given sizes (every size bound), traced again.
  Function at(const SizeValues& values) const;
  // The function when it has no sizes.
  Function function() const { return at({}); }
  // The text form, with the sizes as names.
  const std::string& text() const { return text_; }
  // Writes text() to `path` atomically; kilnc reads it.
  void save(const std::string& path) const;

 private:
  friend TracedFunction trace(ArrayFunction fn, std::vector<InputSpec> inputs, std::string name);
  std::string name_;
  ArrayFunction fn_;
  std::vector<InputSpec> inputs_;
  std::vector<std::string> sizes_;
  std::string text_;
};

// Records `fn` on inputs of the given types as the function @name.
TracedFunction trace(ArrayFunction fn, std::vector<InputSpec> inputs, std::string name = "main");
inline TracedFunction trace(std::function<Array(const std::vector<Array>&)> fn, std::vector<InputSpec> inputs,
                            std::string name = "main") {
  return trace(ArrayFunction([fn](const std::vector<Array>& a) { return std::vector<Array>{fn(a)}; }),
               std::move(inputs), std::move(name));
}

// A Function made callable on arrays of exactly its argument types.
class CompiledFunction {
 public:
  explicit CompiledFunction(Function f) : f_(std::move(f)) {}
  // The results, evaluated. Throws ValueError for a wrong number or type of arguments, and
  // DeviceError for arguments on different devices.
  std::vector<Array> operator()(const std::vector<Array>& args) const;
  const Function& function() const { return f_; }

 private:
  Function f_;
};
inline CompiledFunction compile(Function f) { return CompiledFunction(std::move(f)); }

// fn compiled per distinct input types (dtypes and shapes), traced on first use of them.
class Jit {
 public:
  explicit Jit(ArrayFunction fn, std::string name = "main");
  std::vector<Array> operator()(const std::vector<Array>& args) const;
  // How many times fn has been traced (once per distinct input types).
  int64_t traces() const;

 private:
  struct State {
    std::mutex mu;
    // By the inputs' types, in the order traced (a handful: looked up by comparing types).
    std::vector<std::pair<std::vector<TensorType>, std::shared_ptr<const CompiledFunction>>> by_types;
    int64_t traces = 0;
  };
  ArrayFunction fn_;
  std::string name_;
  std::shared_ptr<State> state_;
};
inline Jit jit(ArrayFunction fn, std::string name = "main") { return Jit(std::move(fn), std::move(name)); }
inline Jit jit(std::function<Array(const std::vector<Array>&)> fn, std::string name = "main") {
  return Jit(ArrayFunction([fn](const std::vector<Array>& a) { return std::vector<Array>{fn(a)}; }), std::move(name));
}

}  // namespace kiln
