// Ahead-of-time programs (aot.hpp): schedule each probe instance, check that the schedules
// agree, and fit every size-dependent number as a constant times a product of sizes.
#include "passes/aot.hpp"

#include <algorithm>
#include <unordered_map>

#include "compiler/kernel/kernel_eval.hpp"
#include "passes/pass_manager.hpp"
#include "passes/schedule.hpp"

namespace kiln {
namespace {

using kernel::Binding;
using kernel::SizeExpr;

constexpr int kMaxPower = 4;  // highest power of one size a value may hold (n^4)

// One function's launches at one probe, with plain numbers for every size.
struct RawStep {
  kernel::Step::Kind kind = kernel::Step::Kind::Kernel;
  kernel::Kernel kernel;
  uint64_t hash = 0;
  std::vector<Binding> buffers;
  std::vector<int64_t> dims;
  std::vector<uint64_t> params;
  int64_t bytes = 0;
};

struct RawValue {
  std::string name;
  DType dtype;
  Shape shape;
};

struct RawPlan {
  std::string name;
  std::vector<RawValue> args, results;
  std::vector<RawStep> steps;
  std::vector<int64_t> work;
};

int64_t bytes_of(const Node* n) { return n->numel() * dtype_size(n->dtype()); }

RawPlan raw_plan(const Function& f) {
  Function opt = optimize(f);
  ScheduleOptions options;
  options.builtins = false;
  options.split = false;
  Schedule s = schedule(opt, options);
  RawPlan p;
  p.name = f.name;
  std::unordered_map<const Node*, Binding> where;
  for (size_t i = 0; i < opt.args.size(); ++i) {
    const Node* a = opt.args[i].node.get();
    where.emplace(a, Binding{Binding::Kind::Arg, static_cast<int32_t>(i)});
    p.args.push_back({opt.args[i].name, a->dtype(), a->shape()});
  }
  // A result that is an argument or an earlier result is copied: results never alias.
  std::vector<RawStep> copies;
  for (size_t j = 0; j < opt.results.size(); ++j) {
    const Node* r = opt.results[j].get();
    p.results.push_back({"", r->dtype(), r->shape()});
    Binding mine{Binding::Kind::Result, static_cast<int32_t>(j)};
    auto [it, added] = where.emplace(r, mine);
    if (added) continue;
    RawStep copy;
    copy.kind = kernel::Step::Kind::Copy;
    copy.buffers = {mine, it->second};
    copy.bytes = bytes_of(r);
    copies.push_back(std::move(copy));
  }
  for (const Node* n : s.stored)
    if (where.emplace(n, Binding{Binding::Kind::Work, static_cast<int32_t>(p.work.size())}).second)
      p.work.push_back(bytes_of(n));
  const auto first_temp = static_cast<int32_t>(p.work.size());
  p.work.insert(p.work.end(), s.temp_bytes.begin(), s.temp_bytes.end());
  for (const LaunchPlan& lp : s.launches) {
    KILN_CHECK(lp.builtin == Builtin::None) << "an AOT schedule launches " << builtin_name(lp.builtin);
    RawStep st;
    st.kernel = lp.kernel;
    st.hash = kernel::kernel_hash(lp.kernel);
    for (const BufferRef& b : lp.buffers) {
      if (!b.node) {
        st.buffers.push_back({Binding::Kind::Work, first_temp + b.temp});
        continue;
      }
      auto it = where.find(b.node);
      KILN_CHECK(it != where.end()) << "a launch binds a value without a buffer (" << op_name(b.node->op()) << ")";
      st.buffers.push_back(it->second);
    }
    st.dims = lp.dims;
    for (size_t i = 0; i < lp.params.size(); ++i) st.params.push_back(kernel::param_bits(lp.params[i], lp.kernel.params[i]));
    p.steps.push_back(std::move(st));
  }
  for (RawStep& c : copies) p.steps.push_back(std::move(c));
  return p;
}

// Probe k: 0 every size at its first value; 1..K size k-1 changed; K+1 every size changed.
SizeValues probe(size_t k, const std::vector<std::string>& sizes) {
  if (k == sizes.size() + 1) return probe_values(2, sizes);
  SizeValues v = probe_values(0, sizes);
  if (k >= 1) v[sizes[k - 1]] = probe_size(1, k - 1);
  return v;
}

std::string values_str(const SizeValues& v) {
  std::string s;
  for (const auto& [name, value] : v) s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(value);
  return s;
}

__int128 power(int64_t base, int e) {
  __int128 p = 1;
  for (int i = 0; i < e; ++i) p *= base;
  return p;
}

class Fitter {
 public:
  Fitter(const std::vector<std::string>& sizes, const std::string& function) : sizes_(sizes), function_(function) {}

  // The expression whose value at probe k is v[k]; throws ValueError naming `what`.
  SizeExpr fit(const std::vector<int64_t>& v, const std::string& what) const {
    const size_t n = sizes_.size();
    if (n == 0) return SizeExpr{v[0], {}};
    SizeExpr e;
    __int128 divisor = 1;
    std::vector<int> exps(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const int64_t a = probe_size(0, i), b = probe_size(1, i);
      int found = -1;
      for (int p = 0; p <= kMaxPower && found < 0; ++p)
        if (static_cast<__int128>(v[1 + i]) * power(a, p) == static_cast<__int128>(v[0]) * power(b, p)) found = p;
      if (found < 0) fail(v, 1 + i, what);
      exps[i] = found;
      divisor *= power(a, found);
      for (int p = 0; p < found; ++p) e.factors.push_back(static_cast<int32_t>(i));
    }
    if (static_cast<__int128>(v[0]) % divisor != 0) fail(v, 0, what);
    e.coeff = static_cast<int64_t>(static_cast<__int128>(v[0]) / divisor);
    __int128 at_last = e.coeff;
    for (size_t i = 0; i < n; ++i) at_last *= power(probe_size(2, i), exps[i]);
    if (at_last != static_cast<__int128>(v[n + 1])) fail(v, n + 1, what);
    return e;
  }

  [[noreturn]] void fail(const std::vector<int64_t>& v, size_t k, const std::string& what) const {
    throw ValueError("@" + function_ + ": " + what + " is " + std::to_string(v[0]) + " at " +
                     values_str(probe(0, sizes_)) + " and " + std::to_string(v[k]) + " at " +
                     values_str(probe(k, sizes_)) + ": not a constant times a product of sizes");
  }
  [[noreturn]] void differs(size_t k, const std::string& what) const {
    throw ValueError("@" + function_ + ": the schedule changes with the sizes (" + what + " differs between " +
                     values_str(probe(0, sizes_)) + " and " + values_str(probe(k, sizes_)) +
                     "); one object cannot serve every size");
  }

 private:
  const std::vector<std::string>& sizes_;
  const std::string& function_;
};

// Checks that plan k has plan 0's structure.
void same_structure(const RawPlan& a, const RawPlan& b, size_t k, const Fitter& fit) {
  if (a.args.size() != b.args.size() || a.results.size() != b.results.size()) fit.differs(k, "the signature");
  for (size_t i = 0; i < a.args.size(); ++i)
    if (a.args[i].dtype != b.args[i].dtype || a.args[i].shape.size() != b.args[i].shape.size())
      fit.differs(k, "argument " + a.args[i].name);
  for (size_t i = 0; i < a.results.size(); ++i)
    if (a.results[i].dtype != b.results[i].dtype || a.results[i].shape.size() != b.results[i].shape.size())
      fit.differs(k, "result " + std::to_string(i));
  if (a.steps.size() != b.steps.size() || a.work.size() != b.work.size()) fit.differs(k, "the number of launches");
  for (size_t s = 0; s < a.steps.size(); ++s) {
    const RawStep &x = a.steps[s], &y = b.steps[s];
    if (x.kind != y.kind || x.hash != y.hash || x.buffers != y.buffers || x.params != y.params ||
        x.dims.size() != y.dims.size())
      fit.differs(k, "launch " + std::to_string(s));
  }
}

std::vector<SizeExpr> fit_shape(const std::vector<RawPlan>& plans, const std::vector<RawValue> RawPlan::*list,
                                size_t index, const Fitter& fit, const std::string& what) {
  std::vector<SizeExpr> shape;
  for (size_t d = 0; d < (plans[0].*list)[index].shape.size(); ++d) {
    std::vector<int64_t> v;
    for (const RawPlan& p : plans) v.push_back((p.*list)[index].shape[d]);
    shape.push_back(fit.fit(v, "dim " + std::to_string(d) + " of " + what));
  }
  return shape;
}

kernel::Program fit_program(const std::vector<RawPlan>& plans, const std::vector<std::string>& sizes) {
  const RawPlan& a = plans[0];
  Fitter fit(sizes, a.name);
  for (size_t k = 1; k < plans.size(); ++k) same_structure(a, plans[k], k, fit);
  kernel::Program p;
  p.name = c_identifier(a.name, "function @" + a.name);
  for (const std::string& s : sizes) p.sizes.push_back(c_identifier(s, "size " + s));
  for (size_t i = 0; i < a.args.size(); ++i)
    p.args.push_back({c_identifier(a.args[i].name, "argument %" + a.args[i].name), a.args[i].dtype,
                      fit_shape(plans, &RawPlan::args, i, fit, "argument %" + a.args[i].name)});
  for (size_t i = 0; i < a.results.size(); ++i)
    p.results.push_back({a.results.size() == 1 ? "out" : "out" + std::to_string(i), a.results[i].dtype,
                         fit_shape(plans, &RawPlan::results, i, fit, "result " + std::to_string(i))});
  std::unordered_map<uint64_t, int32_t> kernel_index;
  for (size_t s = 0; s < a.steps.size(); ++s) {
    const RawStep& x = a.steps[s];
    kernel::Step st;
    st.kind = x.kind;
    st.buffers = x.buffers;
    st.params = x.params;
    const std::string what = "launch " + std::to_string(s);
    for (size_t d = 0; d < x.dims.size(); ++d) {
      std::vector<int64_t> v;
      for (const RawPlan& q : plans) v.push_back(q.steps[s].dims[d]);
      st.dims.push_back(fit.fit(v, "dim " + std::to_string(d) + " of " + what));
    }
    std::vector<int64_t> bytes;
    for (const RawPlan& q : plans) bytes.push_back(q.steps[s].bytes);
    st.bytes = fit.fit(bytes, "the bytes " + what + " copies");
    if (x.kind == kernel::Step::Kind::Kernel) {
      auto [it, added] = kernel_index.emplace(x.hash, static_cast<int32_t>(p.kernels.size()));
      if (added) p.kernels.push_back(x.kernel);
      st.kernel = it->second;
    }
    p.steps.push_back(std::move(st));
  }
  for (size_t w = 0; w < a.work.size(); ++w) {
    std::vector<int64_t> v;
    for (const RawPlan& q : plans) v.push_back(q.work[w]);
    p.work.push_back(fit.fit(v, "workspace region " + std::to_string(w)));
  }
  // Every name of the C interface is distinct.
  std::vector<std::string> names{"workspace"};
  for (const auto& v : p.args) names.push_back(v.name);
  for (const auto& v : p.results) names.push_back(v.name);
  names.insert(names.end(), p.sizes.begin(), p.sizes.end());
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw ValueError("@" + a.name + ": two parameters of its C interface are both named '" + names[i] + "'");
  kernel::check_program(p);
  return p;
}

}  // namespace

std::string c_identifier(const std::string& name, const std::string& what) {
  static const char* const kReserved[] = {
      "auto",     "break",    "case",     "char",     "const",    "continue", "default",  "do",      "double",
      "else",     "enum",     "extern",   "float",    "for",      "goto",     "if",       "inline",  "int",
      "long",     "register", "restrict", "return",   "short",    "signed",   "sizeof",   "static",  "struct",
      "switch",   "typedef",  "union",    "unsigned", "void",     "volatile", "while",    "_Bool",   "bool",
      "true",     "false",    "NULL",     "size_t",   "int32_t",  "int64_t",  "uint8_t",  "uint16_t", "uint32_t"};
  std::string s = name;
  std::replace(s.begin(), s.end(), '.', '_');
  bool ok = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (const char* r : kReserved) ok = ok && s != r;
  if (!ok) throw ValueError(what + ": '" + s + "' is not usable as a C name");
  return s;
}

std::vector<kernel::Program> aot_programs(const std::function<Module(const SizeValues&)>& instance,
                                          const std::vector<std::string>& sizes) {
  const size_t probes = sizes.empty() ? 1 : sizes.size() + 2;
  std::vector<std::vector<RawPlan>> plans;  // [function][probe]
  for (size_t k = 0; k < probes; ++k) {
    Module m = instance(probe(k, sizes));
    if (k == 0) plans.resize(m.functions.size());
    KILN_CHECK(m.functions.size() == plans.size()) << "instances with different numbers of functions";
    for (size_t f = 0; f < m.functions.size(); ++f) plans[f].push_back(raw_plan(m.functions[f]));
  }
  if (sizes.empty())  // one instance: every number is a constant
    for (auto& per_function : plans) per_function.resize(1);
  std::vector<kernel::Program> out;
  for (const std::vector<RawPlan>& per_function : plans) out.push_back(fit_program(per_function, sizes));
  return out;
}

}  // namespace kiln
