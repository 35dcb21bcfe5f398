// Kernel IR checks, printing and hashing.
//
// The hash walks the same fields the printer prints, so two kernels with the same text
// have the same hash; run-time values (dims, params, buffers) never enter either.
#include "compiler/kernel/kernel.hpp"

#include <fmt/format.h>

#include <bit>

#include "compiler/ir/printer.hpp"

namespace kiln::kernel {
namespace {

std::string_view inst_kind_name(Inst::Kind k) {
  switch (k) {
    case Inst::Kind::Op: return "op";
    case Inst::Kind::OuterIndex: return "outer";
    case Inst::Kind::InnerIndex: return "inner";
    case Inst::Kind::Dim: return "dim";
    case Inst::Kind::Param: return "param";
    case Inst::Kind::Const: return "const";
    case Inst::Kind::Load: return "load";
    case Inst::Kind::Acc: return "acc";
    case Inst::Kind::IDiv: return "idiv";
    case Inst::Kind::IMod: return "imod";
  }
  return "?";
}

std::string_view kernel_kind_name(KernelKind k) {
  switch (k) {
    case KernelKind::Elementwise: return "elementwise";
    case KernelKind::Rows: return "rows";
    case KernelKind::Serial: return "serial";
  }
  return "?";
}

std::string dims_str(const std::vector<int32_t>& dims) {
  std::vector<std::string> parts;
  for (int32_t d : dims) parts.push_back(fmt::format("d{}", d));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string inst_str(const Inst& in, int id) {
  std::vector<std::string> args;
  for (int32_t a : in.args) args.push_back(fmt::format("%{}", a));
  std::string head = fmt::format("    %{} = ", id);
  switch (in.kind) {
    case Inst::Kind::Op:
      return fmt::format("{}{} {} : {}", head, op_name(in.op), fmt::join(args, ", "), dtype_name(in.type));
    case Inst::Kind::Const:
      return fmt::format("{}const {} : {}", head, format_scalar(in.value, in.type), dtype_name(in.type));
    case Inst::Kind::Load:
      return fmt::format("{}load b{}[{}] : {}", head, in.imm, fmt::join(args, ", "), dtype_name(in.type));
    case Inst::Kind::Dim:
    case Inst::Kind::Param:
    case Inst::Kind::Acc:
      return fmt::format("{}{} {} : {}", head, inst_kind_name(in.kind), in.imm, dtype_name(in.type));
    case Inst::Kind::OuterIndex:
    case Inst::Kind::InnerIndex:
    case Inst::Kind::IDiv:
    case Inst::Kind::IMod:
      return fmt::format("{}{} {} : {}", head, inst_kind_name(in.kind), fmt::join(args, ", "), dtype_name(in.type));
  }
  return head;
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

uint64_t hash_ints(uint64_t h, const std::vector<int32_t>& v) {
  h = mix(h, v.size());
  for (int32_t x : v) h = mix(h, static_cast<uint32_t>(x));
  return h;
}

}  // namespace

void check_kernel(const Kernel& k) {
  int32_t nbuf = static_cast<int32_t>(k.buffers.size());
  for (int32_t d : k.outer) {
    KILN_CHECK(d >= 0 && d < k.num_dims) << "outer dim " << d << " out of range";
  }
  std::vector<bool> acc_ready(k.num_accs, false);
  for (const Phase& p : k.phases) {
    for (int32_t d : p.inner) {
      KILN_CHECK(d >= 0 && d < k.num_dims) << "inner dim " << d << " out of range";
    }
    int32_t n = static_cast<int32_t>(p.body.size());
    for (int32_t i = 0; i < n; ++i) {
      const Inst& in = p.body[i];
      for (int32_t a : in.args) {
        KILN_CHECK(a >= 0 && a < i) << "inst %" << i << " uses %" << a << " before it";
      }
      switch (in.kind) {
        case Inst::Kind::Load: KILN_CHECK(in.imm >= 0 && in.imm < nbuf && in.args.size() == 1) << "bad load %" << i; break;
        case Inst::Kind::Dim: KILN_CHECK(in.imm >= 0 && in.imm < k.num_dims) << "bad dim %" << i; break;
        case Inst::Kind::Param: KILN_CHECK(in.imm >= 0 && in.imm < static_cast<int64_t>(k.params.size())) << "bad param %" << i; break;
        case Inst::Kind::Acc: KILN_CHECK(in.imm >= 0 && in.imm < k.num_accs && acc_ready[in.imm]) << "bad acc %" << i; break;
        case Inst::Kind::IDiv:
        case Inst::Kind::IMod: KILN_CHECK(in.args.size() == 2 && in.type == DType::I64) << "bad index op %" << i; break;
        case Inst::Kind::Op: KILN_CHECK(is_elementwise(in.op)) << "non-elementwise op in kernel: " << op_name(in.op); break;
        case Inst::Kind::OuterIndex:
        case Inst::Kind::InnerIndex:
        case Inst::Kind::Const: break;
      }
    }
    for (const Reduction& r : p.reductions) {
      KILN_CHECK(p.kind == Phase::Kind::Reduce && r.value >= 0 && r.value < n) << "bad reduction";
      KILN_CHECK(r.acc >= 0 && r.acc < k.num_accs && !acc_ready[r.acc]) << "accumulator " << r.acc << " reused";
    }
    for (const Store& s : p.stores) {
      KILN_CHECK(s.buffer >= 0 && s.buffer < nbuf && k.buffers[s.buffer].output &&
                 s.index >= 0 && s.index < n && s.value >= 0 && s.value < n)
          << "bad store";
    }
    for (const Reduction& r : p.reductions) acc_ready[r.acc] = true;
  }
  if (k.kind == KernelKind::Elementwise)
    KILN_CHECK(k.phases.size() == 1 && k.phases[0].kind == Phase::Kind::Store) << "elementwise kernel with phases";
}

std::string print_kernel(const Kernel& k, const std::string& name) {
  std::vector<std::string> bufs, params;
  for (size_t i = 0; i < k.buffers.size(); ++i)
    bufs.push_back(fmt::format("b{}: {}{}", i, k.buffers[i].output ? "out " : "", dtype_name(k.buffers[i].dtype)));
  for (size_t i = 0; i < k.params.size(); ++i) params.push_back(fmt::format("p{}: {}", i, dtype_name(k.params[i])));
  std::string s = fmt::format("kernel @{} {} ({}) dims {} params ({}) outer {} accs {} {{\n", name,
                              kernel_kind_name(k.kind), fmt::join(bufs, ", "), k.num_dims, fmt::join(params, ", "),
                              dims_str(k.outer), k.num_accs);
  for (const Phase& p : k.phases) {
    s += fmt::format("  phase {} inner {} {{\n", p.kind == Phase::Kind::Reduce ? "reduce" : "store", dims_str(p.inner));
    for (size_t i = 0; i < p.body.size(); ++i) s += inst_str(p.body[i], static_cast<int>(i)) + "\n";
    for (const Reduction& r : p.reductions)
      s += fmt::format("    acc {} = {} %{} : {}\n", r.acc, op_name(r.reduce_op), r.value, dtype_name(r.type));
    for (const Store& st : p.stores) s += fmt::format("    store b{}[%{}] = %{}\n", st.buffer, st.index, st.value);
    s += "  }\n";
  }
  s += "}\n";
  return s;
}

uint64_t kernel_hash(const Kernel& k) {
  uint64_t h = mix(0x6b696c6e, static_cast<uint64_t>(k.kind));
  h = mix(h, k.buffers.size());
  for (const BufferParam& b : k.buffers) h = mix(mix(h, static_cast<uint64_t>(b.dtype)), b.output);
  h = mix(h, static_cast<uint64_t>(k.num_dims));
  h = mix(h, k.params.size());
  for (DType t : k.params) h = mix(h, static_cast<uint64_t>(t));
  h = hash_ints(h, k.outer);
  h = mix(h, static_cast<uint64_t>(k.num_accs));
  h = mix(h, k.phases.size());
  for (const Phase& p : k.phases) {
    h = mix(mix(h, static_cast<uint64_t>(p.kind)), p.body.size());
    h = hash_ints(h, p.inner);
    for (const Inst& in : p.body) {
      h = mix(h, static_cast<uint64_t>(in.kind) << 16 | static_cast<uint64_t>(in.op) << 8 | static_cast<uint64_t>(in.type));
      h = hash_ints(h, in.args);
      h = mix(h, static_cast<uint64_t>(in.imm));
      h = mix(mix(mix(h, in.value.is_float), std::bit_cast<uint64_t>(in.value.f)), static_cast<uint64_t>(in.value.i));
    }
    for (const Reduction& r : p.reductions)
      h = mix(mix(mix(mix(h, static_cast<uint64_t>(r.reduce_op)), static_cast<uint64_t>(r.value)),
                  static_cast<uint64_t>(r.acc)),
              static_cast<uint64_t>(r.type));
    for (const Store& st : p.stores)
      h = mix(mix(mix(h, static_cast<uint64_t>(st.buffer)), static_cast<uint64_t>(st.index)),
              static_cast<uint64_t>(st.value));
  }
  return h;
}

std::string kernel_symbol(const Kernel& k) { return fmt::format("k{:016x}", kernel_hash(k)); }

}  // namespace kiln::kernel
