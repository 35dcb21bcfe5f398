// Programs (program.hpp): their checks and the C header of kilnc's object files.
//
// The C interface of a program `f` with arguments x, w, one result and a size n:
//
//   typedef struct f_args {        every member is 8 bytes: no padding on LP64
//     const float* x; const float* w;   the arguments, in order
//     float* out;                       the results (out, or out0, out1, ...)
//     int64_t n;                        the sizes, in order of first use in the text
//     void* workspace;                  f_workspace_bytes(n) bytes (NULL when that is 0)
//   } f_args;
//   size_t f_workspace_bytes(int64_t n);
//   void f(const float* x, const float* w, float* out, int64_t n, void* workspace);
//   int64_t f_step_count(void);
//   int64_t f_step_size(const f_args* a, int64_t step);
//   void f_step(const f_args* a, int64_t step, int64_t begin, int64_t end);
//
// f runs every step on the calling thread. A caller with threads of its own runs, for each
// step in order, the chunks [begin, end) of [0, f_step_size(a, step)) in any order on any
// threads, and waits for all of them before the next step. Arrays are contiguous, row-major,
// element-aligned and must not overlap; the workspace needs malloc's alignment. The object
// allocates nothing and calls only libc (memcpy, memset) and libm (or libmvec).
#include "compiler/kernel/program.hpp"

namespace kiln::kernel {
namespace {

std::string c_pointer(DType t, bool output) { return std::string(output ? "" : "const ") + c_element_type(t) + "*"; }

std::string shape_comment(const ProgramValue& v, const std::vector<std::string>& sizes) {
  std::string s = std::string(dtype_name(v.dtype)) + "[";
  for (size_t i = 0; i < v.shape.size(); ++i) s += (i ? "," : "") + size_expr_c(v.shape[i], sizes);
  return s + "]";
}

// The parameter list of `p`'s plain entry point, without the workspace.
std::string c_params(const Program& p) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  for (const ProgramValue& a : p.args) add(c_pointer(a.dtype, false) + " " + a.name);
  for (const ProgramValue& r : p.results) add(c_pointer(r.dtype, true) + " " + r.name);
  for (const std::string& n : p.sizes) add("int64_t " + n);
  return s;
}

std::string c_sizes(const Program& p) {
  std::string s;
  for (const std::string& n : p.sizes) s += (s.empty() ? "" : ", ") + std::string("int64_t ") + n;
  return s.empty() ? "void" : s;
}

std::string header_of(const Program& p) {
  const std::string& f = p.name;
  std::string s = "/* " + f + ": " + std::to_string(p.steps.size()) + " steps, " + std::to_string(p.kernels.size()) +
                  " kernels.\n";
  for (const ProgramValue& a : p.args) s += " *   argument " + a.name + ": " + shape_comment(a, p.sizes) + "\n";
  for (const ProgramValue& r : p.results) s += " *   result   " + r.name + ": " + shape_comment(r, p.sizes) + "\n";
  for (const std::string& n : p.sizes) s += " *   size     " + n + ": int64_t, >= 0\n";
  s += " */\ntypedef struct " + f + "_args {\n";
  for (const ProgramValue& a : p.args) s += "  " + c_pointer(a.dtype, false) + " " + a.name + ";\n";
  for (const ProgramValue& r : p.results) s += "  " + c_pointer(r.dtype, true) + " " + r.name + ";\n";
  for (const std::string& n : p.sizes) s += "  int64_t " + n + ";\n";
  s += "  void* workspace; /* " + f + "_workspace_bytes(...) bytes, malloc-aligned; NULL when that is 0 */\n";
  s += "} " + f + "_args;\n\n";
  s += "/* Bytes of workspace a call needs for these sizes (0: pass NULL). */\n";
  s += "size_t " + f + "_workspace_bytes(" + c_sizes(p) + ");\n\n";
  s += "/* Runs the whole function on the calling thread. */\n";
  std::string params = c_params(p);
  s += "void " + f + "(" + params + (params.empty() ? "" : ", ") + "void* workspace);\n\n";
  s += "/* The same work in steps, for callers with threads of their own: for each step in\n"
       " * order, run every chunk [begin, end) of [0, " + f + "_step_size(a, step)), in any order\n"
       " * and on any threads, and wait for all of them before the next step. */\n";
  s += "int64_t " + f + "_step_count(void);\n";
  s += "int64_t " + f + "_step_size(const " + f + "_args* a, int64_t step);\n";
  s += "void " + f + "_step(const " + f + "_args* a, int64_t step, int64_t begin, int64_t end);\n";
  return s;
}

}  // namespace

const char* c_element_type(DType t) {
  switch (t) {
    case DType::Bool: return "uint8_t";
    case DType::I32: return "int32_t";
    case DType::I64: return "int64_t";
    case DType::U32: return "uint32_t";
    case DType::F16: return "uint16_t";
    case DType::BF16: return "uint16_t";
    case DType::F32: return "float";
    case DType::F64: return "double";
  }
  KILN_CHECK(false) << "no C type for dtype " << static_cast<int>(t);
  return "";
}

std::string size_expr_c(const SizeExpr& expr, const std::vector<std::string>& sizes) {
  std::string s;
  if (expr.coeff != 1 || expr.factors.empty()) s = std::to_string(expr.coeff);
  for (int32_t f : expr.factors) s += (s.empty() ? "" : "*") + sizes.at(static_cast<size_t>(f));
  return s;
}

void check_program(const Program& p) {
  auto check_size = [&](const SizeExpr& e) {
    for (int32_t f : e.factors) KILN_CHECK(f >= 0 && static_cast<size_t>(f) < p.sizes.size()) << "size factor " << f;
  };
  auto dtype_of = [&](const Binding& b) {
    switch (b.kind) {
      case Binding::Kind::Arg: return p.args.at(static_cast<size_t>(b.index)).dtype;
      case Binding::Kind::Result: return p.results.at(static_cast<size_t>(b.index)).dtype;
      case Binding::Kind::Work:
        KILN_CHECK(b.index >= 0 && static_cast<size_t>(b.index) < p.work.size()) << "work region " << b.index;
        return DType::F32;  // regions take any dtype
    }
    return DType::F32;
  };
  for (const Step& s : p.steps) {
    for (const SizeExpr& d : s.dims) check_size(d);
    check_size(s.bytes);
    switch (s.kind) {
      case Step::Kind::Copy: KILN_CHECK(s.buffers.size() == 2) << "a copy binds two buffers"; break;
      case Step::Kind::Kernel: {
        const Kernel& k = p.kernels.at(static_cast<size_t>(s.kernel));
        KILN_CHECK(k.buffers.size() == s.buffers.size() && k.num_dims == static_cast<int32_t>(s.dims.size()) &&
                   k.params.size() == s.params.size())
            << "step binds " << s.buffers.size() << " buffers, " << s.dims.size() << " dims";
        for (size_t b = 0; b < s.buffers.size(); ++b) {
          DType t = dtype_of(s.buffers[b]);
          KILN_CHECK(s.buffers[b].kind == Binding::Kind::Work || t == k.buffers[b].dtype) << "buffer " << b << " dtype";
          KILN_CHECK(!k.buffers[b].output || s.buffers[b].kind != Binding::Kind::Arg) << "a kernel writes an argument";
        }
        break;
      }
    }
  }
  for (const SizeExpr& w : p.work) check_size(w);
}

std::string print_program(const Program& p) {
  auto binding = [&](const Binding& b) {
    switch (b.kind) {
      case Binding::Kind::Arg: return p.args.at(static_cast<size_t>(b.index)).name;
      case Binding::Kind::Result: return p.results.at(static_cast<size_t>(b.index)).name;
      case Binding::Kind::Work: return "work" + std::to_string(b.index);
    }
    return std::string();
  };
  std::string s = "program " + p.name + "(";
  for (size_t i = 0; i < p.args.size(); ++i) s += (i ? ", " : "") + p.args[i].name + ": " + shape_comment(p.args[i], p.sizes);
  s += ") -> (";
  for (size_t i = 0; i < p.results.size(); ++i)
    s += (i ? ", " : "") + p.results[i].name + ": " + shape_comment(p.results[i], p.sizes);
  s += ")\n";
  if (!p.sizes.empty()) {
    s += "  sizes";
    for (const std::string& n : p.sizes) s += " " + n;
    s += "\n";
  }
  for (size_t w = 0; w < p.work.size(); ++w) s += "  work" + std::to_string(w) + ": " + size_expr_c(p.work[w], p.sizes) + " bytes\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& st = p.steps[i];
    s += "  step " + std::to_string(i) + ": ";
    std::string bufs;
    for (const Binding& b : st.buffers) bufs += (bufs.empty() ? "" : ", ") + binding(b);
    switch (st.kind) {
      case Step::Kind::Copy: s += "copy " + size_expr_c(st.bytes, p.sizes) + " bytes [" + bufs + "]\n"; continue;
      case Step::Kind::Kernel: break;
    }
    s += kernel_symbol(p.kernels.at(static_cast<size_t>(st.kernel))) + " buffers [" + bufs + "] dims [";
    for (size_t d = 0; d < st.dims.size(); ++d) s += (d ? ", " : "") + size_expr_c(st.dims[d], p.sizes);
    s += "] params [";
    for (size_t q = 0; q < st.params.size(); ++q) s += (q ? ", " : "") + std::to_string(st.params[q]);
    s += "]\n";
  }
  for (const Kernel& k : p.kernels) s += "\n" + print_kernel(k, kernel_symbol(k));
  return s;
}

std::string program_c_header(const std::vector<Program>& programs, const std::string& guard, bool libmvec) {
  std::string s = "/* Generated by kilnc: the C interface of a kiln object file.\n *\n";
  s += " * Link the object with -lm" + std::string(libmvec ? " -lmvec (glibc's vector math)" : "") + ".\n";
  s += " * Arrays are contiguous, row-major, aligned to their element size, and must not overlap.\n"
       " * bool elements are bytes 0/1; f16 and bf16 elements are their 16-bit patterns.\n"
       " * The object allocates nothing: temporaries live in the caller's workspace. */\n";
  s += "#ifndef " + guard + "\n#define " + guard + "\n\n#include <stddef.h>\n#include <stdint.h>\n\n";
  s += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const Program& p : programs) s += header_of(p) + "\n";
  s += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  return s;
}

}  // namespace kiln::kernel
