// Tracing (trace.hpp): placeholder params in, the graph fn builds out; symbolic sizes through
// symbolic_text; calls through inline_function and one evaluation.
#include "frontend/trace.hpp"

#include <algorithm>

#include "compiler/ir/inline.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "frontend/build.hpp"
#include "frontend/device.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/evaluate.hpp"

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

// Whether `args` have exactly the types `types` (an empty handle matches nothing).
bool same_types(const std::vector<Array>& args, const std::vector<TensorType>& types) {
  if (args.size() != types.size()) return false;
  for (size_t i = 0; i < args.size(); ++i)
    if (!args[i].valid() || !(args[i].node()->type() == types[i])) return false;
  return true;
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
  // The call's device: the arguments' (one for all, scalars aside), else the default device.
  std::optional<Device> device;
  size_t first = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].valid() || frontend::device_neutral(args[i].node().get())) continue;  // empty: named below
    const Device d = args[i].node()->attrs().device;
    if (!device) {
      device = d;
      first = i;
    } else if (d != *device) {
      throw DeviceError(fmt::format("call of @{}: arguments on different devices: argument {} ({}) on {} and "
                                    "argument {} ({}) on {} (move one with .to())",
                                    f_.name, first, type_str(args[first].node()->type()), device->str(), i,
                                    type_str(args[i].node()->type()), d.str()));
    }
  }
  if (!device) device = default_device();
  // When every argument has its value and the function's type, f's own graph runs with its
  // params bound to them: no graph is built, and the schedule comes from the cache.
  std::vector<ParamValue> params;
  bool direct = args.size() == f_.args.size();
  {
    GraphReadLock lock = lock_graph_for_reading();
    for (size_t i = 0; direct && i < args.size(); ++i) {
      const Node* n = args[i].valid() ? args[i].node().get() : nullptr;
      const Node* p = f_.args[i].node.get();
      direct = n && n->evaluated() && n->type() == p->type() && p->op() == Op::Param && !p->evaluated();
      if (direct) params.push_back({p, n->value()});
    }
  }
  std::vector<Array> out;
  if (direct) {
    std::vector<BufferPtr> values = evaluate_with(f_.results, params, *device);
    for (size_t i = 0; i < values.size(); ++i)
      out.emplace_back(make_param(f_.results[i]->type(), "", std::move(values[i])));
    return out;
  }
  std::vector<NodeRef> nodes;
  for (const Array& a : args) nodes.push_back(a.node());
  for (NodeRef& r : inline_function(f_, nodes, device)) out.emplace_back(std::move(r));
  eval(out);
  return out;
}

Jit::Jit(ArrayFunction fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)), state_(std::make_shared<State>()) {}

std::vector<Array> Jit::operator()(const std::vector<Array>& args) const {
  std::shared_ptr<const CompiledFunction> compiled;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (const auto& [types, f] : state_->by_types)
      if (same_types(args, types)) {
        compiled = f;
        break;
      }
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
    std::vector<TensorType> types;
    for (const Array& a : args) types.push_back(a.node()->type());
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->by_types.emplace_back(std::move(types), compiled);
    ++state_->traces;
  }
  return (*compiled)(args);
}

int64_t Jit::traces() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->traces;
}

}  // namespace kiln
