// CUDA C for kernel IR values: memory and parameter forms, constants, casts and every
// elementwise op of ops.def, with the interpreter's rule for each corner case.
//
// The precision rules are the LLVM backend's (compiler/llvm/scalar_ops.cpp): f64 ops compute
// in double, f32/f16/bf16 ops in float and round once to their dtype (correctly rounded for
// + - * / sqrt, within a few ulp for the math functions, which are CUDA's own: sinf, expf,
// ...); rsqrt, fma, floordiv, mod and sigmoid compute in double for every float dtype, as
// their float evaluation would round differently. Generated code must be compiled without
// fast math and without FMA contraction (NVRTC: --fmad=false), so that each op rounds once.
#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "compiler/cuda/codegen.hpp"
#include "compiler/ir/element.hpp"

namespace kiln::cuda::detail {
namespace {

bool computes_in_f64(Op op) {
  return op == Op::Rsqrt || op == Op::Fma || op == Op::FloorDiv || op == Op::Mod || op == Op::Sigmoid;
}

// Float ops whose result is a value of the operands' dtype (no rounding).
bool is_exact(Op op) {
  switch (op) {
    case Op::Neg: case Op::Abs: case Op::Sign: case Op::Floor: case Op::Ceil: case Op::Round:
    case Op::Trunc: case Op::Minimum: case Op::Maximum: case Op::Clamp: return true;
    default: return false;
  }
}

// The unsigned type of an integer register type (arithmetic that wraps).
const char* unsigned_type(DType t) {
  switch (t) {
    case DType::I64: return "unsigned long long";
    case DType::Bool:
    case DType::I32:
    case DType::U32: return "unsigned int";
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: break;
  }
  KILN_CHECK(false) << "CUDA codegen: no unsigned type for " << dtype_name(t);
  return "";
}

std::string float_op(Op op, DType t, const std::vector<std::string>& args) {
  const bool dbl = t == DType::F64 || computes_in_f64(op);
  std::vector<std::string> x;
  for (const std::string& a : args) x.push_back(dbl && t != DType::F64 ? "(double)" + a : a);
  const std::string f = dbl ? "" : "f";  // math function suffix
  auto call = [&](const char* name) {
    std::string s = std::string(name) + f + "(" + x[0];
    for (size_t i = 1; i < x.size(); ++i) s += ", " + x[i];
    return s + ")";
  };
  const std::string one = dbl ? "1.0" : "1.0f", zero = dbl ? "0.0" : "0.0f";
  const std::string inf = dbl ? f64_bits(INFINITY) : f32_bits(INFINITY);
  std::string r;
  switch (op) {
    case Op::StopGradient: r = x[0]; break;  // the value unchanged
    case Op::Neg: r = "(-" + x[0] + ")"; break;
    case Op::Abs: r = call("fabs"); break;
    case Op::Sign: r = "kiln_sign(" + x[0] + ")"; break;
    case Op::Floor: r = call("floor"); break;
    case Op::Ceil: r = call("ceil"); break;
    case Op::Round: r = call("rint"); break;  // half to even in the default rounding mode
    case Op::Trunc: r = call("trunc"); break;
    case Op::Exp: r = call("exp"); break;
    case Op::Exp2: r = call("exp2"); break;
    case Op::Expm1: r = call("expm1"); break;
    case Op::Log: r = call("log"); break;
    case Op::Log2: r = call("log2"); break;
    case Op::Log1p: r = call("log1p"); break;
    case Op::Sqrt: r = call("sqrt"); break;
    case Op::Rsqrt: r = "(" + one + " / " + call("sqrt") + ")"; break;
    case Op::Reciprocal: r = "(" + one + " / " + x[0] + ")"; break;
    case Op::Square: r = "(" + x[0] + " * " + x[0] + ")"; break;
    case Op::Sin: r = call("sin"); break;
    case Op::Cos: r = call("cos"); break;
    case Op::Tan: r = call("tan"); break;
    case Op::Asin: r = call("asin"); break;
    case Op::Acos: r = call("acos"); break;
    case Op::Atan: r = call("atan"); break;
    case Op::Sinh: r = call("sinh"); break;
    case Op::Cosh: r = call("cosh"); break;
    case Op::Tanh: r = call("tanh"); break;
    case Op::Sigmoid: r = "(" + one + " / (" + one + " + exp(-" + x[0] + ")))"; break;  // 0 at -inf, 1 at +inf
    case Op::Erf: r = call("erf"); break;
    case Op::IsNan: return "(" + x[0] + " != " + x[0] + ")";
    case Op::IsInf: return "(" + call("fabs") + " == " + inf + ")";
    case Op::IsFinite: return "(" + call("fabs") + " < " + inf + ")";
    case Op::Add: r = "(" + x[0] + " + " + x[1] + ")"; break;
    case Op::Sub: r = "(" + x[0] + " - " + x[1] + ")"; break;
    case Op::Mul: r = "(" + x[0] + " * " + x[1] + ")"; break;
    case Op::Div: r = "(" + x[0] + " / " + x[1] + ")"; break;
    case Op::FloorDiv: r = "kiln_floordiv(" + x[0] + ", " + x[1] + ")"; break;
    case Op::Mod: r = "kiln_mod(" + x[0] + ", " + x[1] + ")"; break;
    case Op::Pow: r = call("pow"); break;
    case Op::Minimum: r = "kiln_min(" + x[0] + ", " + x[1] + ")"; break;
    case Op::Maximum: r = "kiln_max(" + x[0] + ", " + x[1] + ")"; break;
    case Op::Atan2: r = call("atan2"); break;
    case Op::Eq: return "(" + x[0] + " == " + x[1] + ")";
    case Op::Ne: return "(" + x[0] + " != " + x[1] + ")";  // true when either is NaN
    case Op::Lt: return "(" + x[0] + " < " + x[1] + ")";
    case Op::Le: return "(" + x[0] + " <= " + x[1] + ")";
    case Op::Gt: return "(" + x[0] + " > " + x[1] + ")";
    case Op::Ge: return "(" + x[0] + " >= " + x[1] + ")";
    case Op::Clamp: r = "kiln_min(kiln_max(" + x[0] + ", " + x[1] + "), " + x[2] + ")"; break;
    case Op::Fma: r = "fma(" + x[0] + ", " + x[1] + ", " + x[2] + ")"; break;
    case Op::LogicalNot: case Op::BitwiseNot: case Op::LogicalAnd: case Op::LogicalOr:
    case Op::LogicalXor: case Op::BitwiseAnd: case Op::BitwiseOr: case Op::BitwiseXor:
    case Op::ShiftLeft: case Op::ShiftRight: case Op::Cast: case Op::Where:
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul:
      KILN_CHECK(false) << "CUDA codegen: " << op_name(op) << " is not an elementwise op on " << dtype_name(t);
      return "";
  }
  if (is_exact(op) && (dbl == (t == DType::F64))) return r;
  return round_float(r, dbl, t);
}

std::string int_op(Op op, DType t, const std::vector<std::string>& x) {
  const std::string T = reg_type(t);
  const bool sgn = is_signed(t);
  // Wrapping arithmetic: through the unsigned type, then back.
  auto wrap = [&](const std::string& e) { return "(" + T + ")(" + e + ")"; };
  auto u = [&](size_t i) { return std::string("(") + unsigned_type(t) + ")" + x[i]; };
  auto cmp = [&](const char* o) { return "(" + x[0] + " " + o + " " + x[1] + ")"; };
  auto sel = [&](const std::string& a, const char* o, const std::string& b) {
    return "(" + a + " " + o + " " + b + " ? " + a + " : " + b + ")";
  };
  switch (op) {
    case Op::StopGradient: return x[0];
    case Op::Neg: return wrap("0u - " + u(0));
    case Op::Abs: return sgn ? "(" + x[0] + " < 0 ? " + wrap("0u - " + u(0)) + " : " + x[0] + ")" : x[0];
    case Op::Sign:
      return sgn ? "(" + T + ")((" + x[0] + " > 0) - (" + x[0] + " < 0))" : "(" + T + ")(" + x[0] + " != 0u)";
    case Op::Floor: case Op::Ceil: case Op::Round: case Op::Trunc: return x[0];
    case Op::Square: return wrap(u(0) + " * " + u(0));
    case Op::IsNan: case Op::IsInf: return "false";
    case Op::IsFinite: return "true";
    case Op::LogicalNot: return "(!" + x[0] + ")";
    case Op::BitwiseNot: return t == DType::Bool ? "(!" + x[0] + ")" : wrap("~" + x[0]);
    case Op::Add: return wrap(u(0) + " + " + u(1));
    case Op::Sub: return wrap(u(0) + " - " + u(1));
    case Op::Mul: return wrap(u(0) + " * " + u(1));
    case Op::Div: return "kiln_div(" + x[0] + ", " + x[1] + ")";
    case Op::FloorDiv: return "kiln_floordiv(" + x[0] + ", " + x[1] + ")";
    case Op::Mod: return "kiln_mod(" + x[0] + ", " + x[1] + ")";
    case Op::Pow: return "kiln_pow(" + x[0] + ", " + x[1] + ")";
    case Op::Minimum: return sel(x[0], "<", x[1]);
    case Op::Maximum: return sel(x[0], ">", x[1]);
    case Op::Eq: return cmp("==");
    case Op::Ne: return cmp("!=");
    case Op::Lt: return cmp("<");
    case Op::Le: return cmp("<=");
    case Op::Gt: return cmp(">");
    case Op::Ge: return cmp(">=");
    case Op::LogicalAnd: return cmp("&&");
    case Op::LogicalOr: return cmp("||");
    case Op::LogicalXor: return cmp("!=");
    case Op::BitwiseAnd: return wrap(x[0] + " & " + x[1]);
    case Op::BitwiseOr: return wrap(x[0] + " | " + x[1]);
    case Op::BitwiseXor: return wrap(x[0] + " ^ " + x[1]);
    case Op::ShiftLeft: return "kiln_shl(" + x[0] + ", " + x[1] + ")";
    case Op::ShiftRight: return "kiln_shr(" + x[0] + ", " + x[1] + ")";
    case Op::Clamp: return "kiln_imin(kiln_imax(" + x[0] + ", " + x[1] + "), " + x[2] + ")";
    case Op::Fma: return wrap(u(0) + " * " + u(1) + " + " + u(2));
    case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2: case Op::Log1p:
    case Op::Sqrt: case Op::Rsqrt: case Op::Reciprocal: case Op::Sin: case Op::Cos: case Op::Tan:
    case Op::Asin: case Op::Acos: case Op::Atan: case Op::Sinh: case Op::Cosh: case Op::Tanh:
    case Op::Sigmoid: case Op::Erf: case Op::Atan2: case Op::Cast: case Op::Where:
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  KILN_CHECK(false) << "CUDA codegen: " << op_name(op) << " is not an elementwise op on " << dtype_name(t);
  return "";
}

std::string int_to_float(const std::string& e, DType from, DType to) {
  if (from == DType::Bool) return "(" + e + " ? " + constant(to, Scalar::of_float(1.0)) + " : " + constant(to, Scalar::of_float(0.0)) + ")";
  switch (to) {
    case DType::F64: return "(double)" + e;
    case DType::F32: return "(float)" + e;
    // Every integer below f16's overflow threshold is exact in f32, every larger one stays
    // past it: one rounding.
    case DType::F16: return "kiln_round_f16((float)" + e + ")";
    case DType::BF16: return "kiln_i64_to_bf16((long long)" + e + ")";
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: break;
  }
  KILN_CHECK(false) << "CUDA codegen: not a float dtype: " << dtype_name(to);
  return "";
}

}  // namespace

const char* reg_type(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::I32: return "int";
    case DType::I64: return "long long";
    case DType::U32: return "unsigned int";
    case DType::F16:
    case DType::BF16:
    case DType::F32: return "float";
    case DType::F64: return "double";
  }
  return "";
}

const char* mem_type(DType t) {
  switch (t) {
    case DType::Bool: return "unsigned char";
    case DType::F16:
    case DType::BF16: return "unsigned short";
    case DType::I32:
    case DType::I64:
    case DType::U32:
    case DType::F32:
    case DType::F64: return reg_type(t);
  }
  return "";
}

std::string from_memory(const std::string& e, DType t) {
  switch (t) {
    case DType::Bool: return "(" + e + " != 0)";
    case DType::F16: return "kiln_f16_to_f32(" + e + ")";
    case DType::BF16: return "kiln_bf16_to_f32(" + e + ")";
    case DType::I32:
    case DType::I64:
    case DType::U32:
    case DType::F32:
    case DType::F64: return e;
  }
  return e;
}

std::string to_memory(const std::string& e, DType t) {
  switch (t) {
    case DType::Bool: return "(unsigned char)" + e;
    case DType::F16: return "kiln_f32_to_f16(" + e + ")";  // exact: e is on the f16 grid
    case DType::BF16: return "kiln_f32_to_bf16(" + e + ")";
    case DType::I32:
    case DType::I64:
    case DType::U32:
    case DType::F32:
    case DType::F64: return e;
  }
  return e;
}

std::string from_param_bits(const std::string& bits, DType t) {
  switch (t) {
    case DType::Bool: return "(" + bits + " != 0ull)";
    case DType::I32: return "(int)(unsigned int)" + bits;
    case DType::U32: return "(unsigned int)" + bits;
    case DType::I64: return "(long long)" + bits;
    case DType::F32: return "__int_as_float((int)(unsigned int)" + bits + ")";
    case DType::F64: return "__longlong_as_double((long long)" + bits + ")";
    case DType::F16: return "kiln_f16_to_f32((unsigned short)" + bits + ")";
    case DType::BF16: return "kiln_bf16_to_f32((unsigned short)" + bits + ")";
  }
  return bits;
}

std::string f32_bits(float f) {
  return fmt::format("__int_as_float(0x{:08x}) /* {} */", std::bit_cast<uint32_t>(f), f);
}

std::string f64_bits(double d) {
  return fmt::format("__longlong_as_double(0x{:016x}ll) /* {} */", std::bit_cast<uint64_t>(d), d);
}

std::string constant(DType t, const Scalar& v) {
  if (is_float(t)) {
    const double d = v.is_float ? v.f : static_cast<double>(v.i);
    if (t == DType::F64) return f64_bits(d);
    const double rounded = t == DType::F32 ? static_cast<double>(static_cast<float>(d)) : round_to_dtype(d, t);
    return f32_bits(static_cast<float>(rounded));
  }
  const int64_t i = v.is_float ? float_to_int_saturating(v.f, t) : wrap_int(v.i, t);
  switch (t) {
    case DType::Bool: return i != 0 ? "true" : "false";
    case DType::I32: return i == INT32_MIN ? "(-2147483647 - 1)" : fmt::format("({})", i);
    case DType::I64: return i == INT64_MIN ? "(-9223372036854775807ll - 1ll)" : fmt::format("({}ll)", i);
    case DType::U32: return fmt::format("{}u", static_cast<uint32_t>(i));
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: break;
  }
  return "";
}

std::string max_value(DType t) {
  switch (t) {
    case DType::Bool: return "true";
    case DType::I32: return "2147483647";
    case DType::I64: return "9223372036854775807ll";
    case DType::U32: return "4294967295u";
    case DType::F16:
    case DType::BF16:
    case DType::F32: return f32_bits(INFINITY);
    case DType::F64: return f64_bits(INFINITY);
  }
  return "";
}

std::string min_value(DType t) {
  switch (t) {
    case DType::Bool: return "false";
    case DType::I32: return "(-2147483647 - 1)";
    case DType::I64: return "(-9223372036854775807ll - 1ll)";
    case DType::U32: return "0u";
    case DType::F16:
    case DType::BF16:
    case DType::F32: return f32_bits(-INFINITY);
    case DType::F64: return f64_bits(-INFINITY);
  }
  return "";
}

std::string round_float(const std::string& e, bool from_double, DType t) {
  switch (t) {
    case DType::F64: return from_double ? e : "(double)" + e;
    case DType::F32: return from_double ? "(float)" + e : e;
    case DType::F16: return from_double ? "kiln_f64_to_f16(" + e + ")" : "kiln_round_f16(" + e + ")";
    case DType::BF16: return from_double ? "kiln_f64_to_bf16(" + e + ")" : "kiln_round_bf16(" + e + ")";
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: break;
  }
  KILN_CHECK(false) << "CUDA codegen: rounding to " << dtype_name(t);
  return "";
}

std::string cast_expr(const std::string& e, DType from, DType to) {
  if (from == to) return e;
  if (is_float(from)) {
    if (is_float(to)) return round_float(e, from == DType::F64, to);  // widening is exact
    switch (to) {
      case DType::Bool: return "(" + e + " != 0)";  // NaN -> true
      case DType::I32: return "kiln_to_i32((double)" + e + ")";
      case DType::I64: return "kiln_to_i64((double)" + e + ")";
      case DType::U32: return "kiln_to_u32((double)" + e + ")";
      case DType::F16:
      case DType::BF16:
      case DType::F32:
      case DType::F64: break;
    }
  }
  if (is_float(to)) return int_to_float(e, from, to);
  if (to == DType::Bool) return "(" + e + " != 0)";
  // Integer to integer: sign- or zero-extend, or keep the low bits.
  if (to == DType::I32) return "(int)(unsigned int)" + e;
  return std::string("(") + reg_type(to) + ")" + e;
}

std::string op_expr(Op op, DType t, DType result, const std::vector<std::string>& args) {
  if (op == Op::Cast) return cast_expr(args.at(0), t, result);
  if (op == Op::Where) return "(" + args.at(0) + " ? " + args.at(1) + " : " + args.at(2) + ")";
  return is_float(t) ? float_op(op, t, args) : int_op(op, t, args);
}

}  // namespace kiln::cuda::detail
