// Tracing (trace.hpp): placeholder params in, the graph fn builds out; symbolic sizes through
// symbolic_text; calls through inline_function and one evaluation.
#include "frontend/trace.hpp"

#include <algorithm>

#include "compiler/ir/inline.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "runtime/atomic_file.hpp"

namespace kiln {
namespace {

std::string values_str(const SizeValues& v) {
  std::string s;
  for (const auto& [name, value] : v) s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(value);
  return s;
}

// fn traced on params of the inputs' types at `values`.
Function trace_at(const ArrayFunction& fn, const std::vector<InputSpec>& inputs, const std::string& name,
                  const SizeValues& values) {
  Function f;
  f.name = name;
  std::vector<Array> args;
  for (const InputSpec& in : inputs) {
    Shape shape;
    for (const Dim& d : in.shape) {
      if (const int64_t* v = std::get_if<int64_t>(&d.value)) {
        shape.push_back(*v);
        continue;
      }
      auto it = values.find(std::get<std::string>(d.value));
      KILN_CHECK(it != values.end()) << "trace: size " << std::get<std::string>(d.value) << " has no value";
      shape.push_back(it->second);
    }
    checked_numel(shape, "trace input");
    NodeRef p = make_param({in.dtype, shape}, in.name);
    f.args.push_back({p, in.name});
    args.emplace_back(std::move(p));
  }
  std::vector<Array> results;
  try {
    results = fn(args);
  } catch (const Error& e) {
    if (values.empty()) throw;
    throw ValueError("trace @" + name + " at " + values_str(values) + ": " + e.what());
  }
  if (results.empty()) throw ValueError("trace @" + name + ": the function returned no arrays");
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].valid()) throw ValueError("trace @" + name + ": result " + std::to_string(i) + " is an empty Array");
    f.results.push_back(results[i].node());
  }
  verify(f);
  return f;
}

std::string types_key(const std::vector<Array>& args) {
  std::string key;
  for (const Array& a : args) key += (a.valid() ? type_str(a.node()->type()) : std::string("?")) + ";";
  return key;
}

}  // namespace

TracedFunction trace(ArrayFunction fn, std::vector<InputSpec> inputs, std::string name) {
  TracedFunction t;
  t.name_ = std::move(name);
  t.fn_ = std::move(fn);
  t.inputs_ = std::move(inputs);
  for (size_t i = 0; i < t.inputs_.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (t.inputs_[i].name == t.inputs_[j].name) throw ValueError("trace @" + t.name_ + ": two inputs named " + t.inputs_[i].name);
    for (const Dim& d : t.inputs_[i].shape)
      if (const std::string* s = std::get_if<std::string>(&d.value))
        if (std::find(t.sizes_.begin(), t.sizes_.end(), *s) == t.sizes_.end()) t.sizes_.push_back(*s);
  }
  if (t.sizes_.size() > static_cast<size_t>(kMaxSizes))
    throw ValueError("trace @" + t.name_ + ": more than " + std::to_string(kMaxSizes) + " size names");
  t.text_ = symbolic_text([&](const SizeValues& v) { return Module{{t.at(v)}}; }, t.sizes_);
  return t;
}

Function TracedFunction::at(const SizeValues& values) const {
  for (const std::string& s : sizes_)
    if (!values.count(s)) throw ValueError("@" + name_ + ": size " + s + " needs a value");
  return trace_at(fn_, inputs_, name_, values);
}

void TracedFunction::save(const std::string& path) const {
  std::string error = detail::write_file_atomically(path, text_);
  if (!error.empty()) throw RuntimeError("TracedFunction::save: " + error);
}

std::vector<Array> CompiledFunction::operator()(const std::vector<Array>& args) const {
  std::vector<NodeRef> nodes;
  for (const Array& a : args) nodes.push_back(a.node());
  std::vector<Array> out;
  for (NodeRef& r : inline_function(f_, nodes)) out.emplace_back(std::move(r));
  eval(out);
  return out;
}

Jit::Jit(ArrayFunction fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)), state_(std::make_shared<State>()) {}

std::vector<Array> Jit::operator()(const std::vector<Array>& args) const {
  const std::string key = types_key(args);
  std::shared_ptr<const CompiledFunction> compiled;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->by_types.find(key);
    if (it != state_->by_types.end()) compiled = it->second;
  }
  if (!compiled) {
    std::vector<InputSpec> inputs;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!args[i].valid()) throw ValueError("jit @" + name_ + ": argument " + std::to_string(i) + " is an empty Array");
      InputSpec in{"arg" + std::to_string(i), args[i].dtype(), {}};
      for (int64_t d : args[i].shape()) in.shape.emplace_back(d);
      inputs.push_back(std::move(in));
    }
    compiled = std::make_shared<const CompiledFunction>(trace_at(fn_, inputs, name_, {}));
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->by_types.emplace(key, compiled);
    ++state_->traces;
  }
  return (*compiled)(args);
}

int64_t Jit::traces() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->traces;
}

}  // namespace kiln
