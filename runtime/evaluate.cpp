// The evaluation entry point and backend selection. Roots are evaluated where their device
// says: cpu roots by the selected backend, CUDA roots by the cuda backend of their device.
#include "runtime/evaluate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "compiler/ir/interpreter.hpp"
#include "runtime/cuda_backend.hpp"
#include "runtime/cuda_emu_backend.hpp"
#include "runtime/executor.hpp"
#ifdef KILN_HAVE_LLVM
#include "runtime/llvm_backend.hpp"
#endif
#include "runtime/profile.hpp"
#include "runtime/stage_dump.hpp"
#include "runtime/stats.hpp"

namespace kiln {
namespace {

enum class BackendKind { Llvm, Interp, Kernels, CudaEmu };

struct BackendEntry {
  const char* name;
  BackendKind kind;
};

// The first entry is the default.
constexpr BackendEntry kBackends[] = {
#ifdef KILN_HAVE_LLVM
    {"llvm", BackendKind::Llvm},
#endif
    {"interp", BackendKind::Interp},
    {"kernels", BackendKind::Kernels},
    {"cuda-emu", BackendKind::CudaEmu}};

BackendKind parse_backend(std::string_view name, const char* origin) {
  for (const BackendEntry& b : kBackends)
    if (name == b.name) return b.kind;
  throw ValueError(fmt::format("{}: unknown backend '{}'; known backends: {}", origin, name,
                               fmt::join(backend_names(), ", ")));
}

std::mutex g_backend_mu;
bool g_backend_chosen = false;
BackendKind g_backend = kBackends[0].kind;

BackendKind current_backend() {
  std::lock_guard<std::mutex> lock(g_backend_mu);
  if (!g_backend_chosen) {
    const char* env = std::getenv("KILN_BACKEND");
    if (env && *env) g_backend = parse_backend(env, "KILN_BACKEND");
    g_backend_chosen = true;
  }
  return g_backend;
}

// The interpreter runs the graph as it is: its dump is that graph and its picture.
std::vector<DumpText> interp_dump(const Function& f, const DumpOptions& options) {
  StageDump stages(options, {});
  stages.add_graph("input", f);
  stages.add_picture(f);
  return stages.finish();
}

std::vector<BufferPtr> interpret_pending(const std::vector<NodeRef>& pending, std::span<const ParamValue> params) {
  Function f;
  std::vector<DumpText> texts;
  {
    GraphReadLock lock = lock_graph_for_reading();
    f = function_of(pending);
    if (dumping()) [[unlikely]]
      texts = interp_dump(f, DumpOptions{});
  }
  if (!texts.empty()) write_dump(texts);  // outside the lock: evaluations elsewhere go on
  std::vector<BufferPtr> inputs(f.args.size());
  for (size_t i = 0; i < f.args.size(); ++i)
    for (const ParamValue& p : params)
      if (p.param == f.args[i].node.get()) inputs[i] = p.value;
  return interpret(f, inputs);
}

// cuda-emu runs host memory and chunks, with the GPU's schedule choices (what it tests).
const ExecTarget& cuda_emu_target() {
  static const ExecTarget t = [] {
    ExecTarget t = host_target();
    t.schedule.splits = SplitOptions::gpu();
    return t;
  }();
  return t;
}

std::vector<BufferPtr> run(BackendKind kind, const std::vector<NodeRef>& pending, std::span<const ParamValue> params) {
  switch (kind) {
    case BackendKind::Llvm:
#ifdef KILN_HAVE_LLVM
      return execute(pending, prepare_llvm_kernel, "llvm", llvm_kernel_source(), host_builtin_launcher, host_target(),
                     params);
#else
      break;
#endif
    case BackendKind::Interp: return interpret_pending(pending, params);
    case BackendKind::Kernels:
      return execute(pending, evaluator_launcher, "kernels", {}, host_builtin_launcher, host_target(), params);
    case BackendKind::CudaEmu:
      return execute(pending, prepare_cuda_emu_kernel, "cuda-emu", cuda_kernel_source(), prepare_cuda_emu_builtin,
                     cuda_emu_target(), params);
  }
  KILN_CHECK(false) << "unknown backend kind";
  return {};
}

std::vector<BufferPtr> run_on(Device device, const std::vector<NodeRef>& pending, std::span<const ParamValue> params) {
  std::vector<BufferPtr> values =
      device.is_cpu() ? run(current_backend(), pending, params) : execute_cuda(pending, device.index, params);
  KILN_CHECK(values.size() == pending.size()) << "backend returned " << values.size() << " values for "
                                              << pending.size() << " results";
  return values;
}

}  // namespace

void evaluate(std::span<const NodeRef> roots) {
  std::vector<NodeRef> pending;
  pending.reserve(roots.size());
  bool one_device = true;
  {
    GraphReadLock lock = lock_graph_for_reading();
    for (const NodeRef& r : roots)
      if (r && !r->evaluated() && std::find(pending.begin(), pending.end(), r) == pending.end()) {
        one_device = one_device && (pending.empty() || r->attrs().device == pending[0]->attrs().device);
        pending.push_back(r);
      }
  }
  if (pending.empty()) return;
  detail::count_evaluation();
  detail::ProfileScope scope("evaluate", "evaluate");
  const size_t results = pending.size();
  // One run per device (the roots of one eval() may live on several), in order of first use.
  std::vector<std::pair<Device, std::vector<NodeRef>>> groups;
  if (one_device) {
    groups.emplace_back(pending[0]->attrs().device, std::move(pending));
  } else {
    for (const NodeRef& r : pending) {
      const Device d = r->attrs().device;
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == d; });
      if (it == groups.end()) it = groups.insert(groups.end(), {d, {}});
      it->second.push_back(r);
    }
  }
  if (scope.active())
    scope.set_args(fmt::format(R"("results": {}, "backend": "{}", "devices": {})", results, backend_name(),
                               groups.size()));
  for (auto& [device, nodes] : groups) {
    std::vector<BufferPtr> values = run_on(device, nodes, {});
    for (size_t i = 0; i < nodes.size(); ++i) nodes[i]->set_value(std::move(values[i]));
  }
}

std::vector<BufferPtr> evaluate_with(const std::vector<NodeRef>& results, std::span<const ParamValue> params,
                                     Device device) {
  for (const ParamValue& p : params)
    KILN_CHECK(p.value && p.value->device() == device &&
               p.value->bytes() >= static_cast<size_t>(p.param->numel()) * dtype_size(p.param->dtype()))
        << "evaluate_with: a value for a param of " << type_str(p.param->type()) << " on " << device.str();
  if (results.empty()) return {};
  detail::count_evaluation();
  detail::ProfileScope scope("evaluate", "evaluate");
  if (scope.active())
    scope.set_args(fmt::format(R"("results": {}, "backend": "{}", "devices": 1)", results.size(),
                               device.is_cpu() ? backend_name() : device.str()));
  return run_on(device, results, params);
}

std::string backend_name() {
  BackendKind k = current_backend();
  for (const BackendEntry& b : kBackends)
    if (b.kind == k) return b.name;
  return "?";
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendEntry& b : kBackends) names.emplace_back(b.name);
  return names;
}

void set_backend(std::string_view name) {
  BackendKind k = parse_backend(name, "set_backend");
  std::lock_guard<std::mutex> lock(g_backend_mu);
  g_backend = k;
  g_backend_chosen = true;
}

std::vector<DumpText> dump_stages(const std::vector<NodeRef>& roots, const DumpOptions& options) {
  switch (current_backend()) {
    case BackendKind::Llvm:
#ifdef KILN_HAVE_LLVM
      return dump_schedule(roots, options, llvm_kernel_source());
#else
      break;
#endif
    case BackendKind::Interp: {
      GraphReadLock lock = lock_graph_for_reading();
      return interp_dump(function_of(roots), options);
    }
    case BackendKind::Kernels: return dump_schedule(roots, options);
    case BackendKind::CudaEmu: return dump_schedule(roots, options, cuda_kernel_source(), cuda_emu_target().schedule);
  }
  KILN_CHECK(false) << "unknown backend kind";
  return {};
}

}  // namespace kiln
