// Elementwise ops of the reference interpreter: unary, binary and ternary ops and cast.
//
// Each element is loaded into a Val, the op is applied by one switch (`apply`), and the result
// is stored with the result dtype's rule: a float result is computed in double and rounded
// once to its dtype; an integer result is computed modulo 2^64 (through uint64, so no signed
// overflow) and wrapped to its dtype's width when stored. The corner cases (division by zero,
// INT_MIN / -1, shifts out of range, NaN and -0.0 in min/max, Python's floor division) follow
// the rules at the top of op.hpp; each helper below states the one it implements.
#include <algorithm>
#include <cmath>
#include <limits>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpret_internal.hpp"

namespace kiln::interp {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Integer arithmetic modulo 2^64: unsigned wraps by definition, and uint64 -> int64 is modular.
int64_t wrap_add(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }
int64_t wrap_sub(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t wrap_mul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }

// Truncating division; x / 0 = 0 and x / -1 = -x wrapped (so INT_MIN / -1 = INT_MIN).
int64_t int_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return wrap_sub(0, a);
  return a / b;
}

// Python's a // b: the quotient rounded toward -inf (-7 // 2 = -4); x // 0 = 0.
int64_t int_floordiv(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return wrap_sub(0, a);
  int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --q;
  return q;
}

// Python's a % b: the remainder with the divisor's sign (-7 % 2 = 1, 7 % -2 = -1); x % 0 = 0
// and x % -1 = 0 (which also avoids INT_MIN % -1).
int64_t int_mod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && (r < 0) != (b < 0)) r += b;
  return r;
}

// x^n, wrapping. For n < 0 the true value 1/x^n is an integer only for x = 1 or -1; otherwise
// it truncates to 0 (0^-n included, with no error). 0^0 = 1.
int64_t int_pow(int64_t x, int64_t n) {
  if (n < 0) return x == 1 ? 1 : x == -1 ? ((n & 1) ? -1 : 1) : 0;
  uint64_t result = 1, base = static_cast<uint64_t>(x);
  for (uint64_t e = static_cast<uint64_t>(n); e != 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return static_cast<int64_t>(result);
}

// a << n and a >> n on the dtype's width; an amount < 0 or >= the width shifts everything
// out: 0, or -1 for shr of a negative signed value. shr is arithmetic for signed dtypes (a
// sign-extended i32 shifted in int64 gives the i32 result) and logical for u32 (held >= 0).
int64_t shift_left(int64_t a, int64_t n, DType t) {
  if (n < 0 || n >= dtype_bits(t)) return 0;
  return static_cast<int64_t>(static_cast<uint64_t>(a) << n);
}
int64_t shift_right(int64_t a, int64_t n, DType t) {
  if (n < 0 || n >= dtype_bits(t)) return a < 0 ? -1 : 0;
  return a >> n;
}

// Round half to even with no dependence on the FP rounding mode. |x| - floor(|x|) is exact
// (for |x| >= 1 by Sterbenz's lemma), so the tie test sees the true fraction. The sign is put
// back last, which keeps round(-0.4) = -0.0.
double round_half_even(double x) {
  if (!std::isfinite(x)) return x;
  double a = std::fabs(x);
  double whole = std::floor(a);
  double frac = a - whole;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(whole, 2.0) != 0.0)) whole += 1.0;
  return std::copysign(whole, x);
}

// -1, 1, or x itself for ±0.0 and NaN.
double float_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }

// NaN-propagating min/max that order -0.0 below 0.0.
double float_minimum(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) ? a : b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
double float_maximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) ? a : b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// Python's float divmod (the algorithm of CPython's float_divmod). fmod is exact and has the
// dividend's sign; when that disagrees with the divisor's sign the remainder moves by one
// divisor and the quotient down by one. (a - mod) / b is an integer up to one rounding, which
// the final floor-and-nudge snaps to the nearest integer. A zero remainder or quotient takes
// the sign Python gives it. Division by 0.0 is kiln's rule: a / 0.0 and NaN.
struct DivMod {
  double div, mod;
};
DivMod python_divmod(double a, double b) {
  if (b == 0.0) return {a / b, kNaN};
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  double floordiv;
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, a / b);
  }
  return {floordiv, mod};
}

Val bool_val(bool b) { return int_val(b ? 1 : 0); }

// Applies elementwise op `op` to the operands `x` (one, two or three, all of dtype t; for
// where, see eval_elementwise). Float-only ops read `f`; the type rules keep other dtypes away.
Val apply(Op op, DType t, std::span<const Val> x) {
  const bool fl = is_float(t);
  const double a = x[0].f, b = x.size() > 1 ? x[1].f : 0.0, c = x.size() > 2 ? x[2].f : 0.0;
  const int64_t i = x[0].i, j = x.size() > 1 ? x[1].i : 0, k = x.size() > 2 ? x[2].i : 0;
  switch (op) {
    case Op::Neg: return fl ? float_val(-a) : int_val(wrap_sub(0, i));
    case Op::Abs: return fl ? float_val(std::fabs(a)) : int_val(i < 0 ? wrap_sub(0, i) : i);
    case Op::Sign: return fl ? float_val(float_sign(a)) : int_val((i > 0) - (i < 0));
    case Op::Floor: return fl ? float_val(std::floor(a)) : x[0];
    case Op::Ceil: return fl ? float_val(std::ceil(a)) : x[0];
    case Op::Round: return fl ? float_val(round_half_even(a)) : x[0];
    case Op::Trunc: return fl ? float_val(std::trunc(a)) : x[0];
    case Op::Exp: return float_val(std::exp(a));
    case Op::Exp2: return float_val(std::exp2(a));
    case Op::Expm1: return float_val(std::expm1(a));
    case Op::Log: return float_val(std::log(a));
    case Op::Log2: return float_val(std::log2(a));
    case Op::Log1p: return float_val(std::log1p(a));
    case Op::Sqrt: return float_val(std::sqrt(a));
    case Op::Rsqrt: return float_val(1.0 / std::sqrt(a));
    case Op::Reciprocal: return float_val(1.0 / a);
    case Op::Square: return fl ? float_val(a * a) : int_val(wrap_mul(i, i));
    case Op::Sin: return float_val(std::sin(a));
    case Op::Cos: return float_val(std::cos(a));
    case Op::Tan: return float_val(std::tan(a));
    case Op::Asin: return float_val(std::asin(a));
    case Op::Acos: return float_val(std::acos(a));
    case Op::Atan: return float_val(std::atan(a));
    case Op::Sinh: return float_val(std::sinh(a));
    case Op::Cosh: return float_val(std::cosh(a));
    case Op::Tanh: return float_val(std::tanh(a));
    case Op::Sigmoid: return float_val(1.0 / (1.0 + std::exp(-a)));  // 0 at -inf, 1 at +inf
    case Op::Erf: return float_val(std::erf(a));
    case Op::IsNan: return bool_val(fl && std::isnan(a));
    case Op::IsInf: return bool_val(fl && std::isinf(a));
    case Op::IsFinite: return bool_val(!fl || std::isfinite(a));
    case Op::LogicalNot: return bool_val(i == 0);
    case Op::BitwiseNot: return t == DType::Bool ? bool_val(i == 0) : int_val(~i);
    case Op::StopGradient: return x[0];  // the value unchanged (only autodiff tells it apart)

    case Op::Add: return fl ? float_val(a + b) : int_val(wrap_add(i, j));
    case Op::Sub: return fl ? float_val(a - b) : int_val(wrap_sub(i, j));
    case Op::Mul: return fl ? float_val(a * b) : int_val(wrap_mul(i, j));
    case Op::Div: return fl ? float_val(a / b) : int_val(int_div(i, j));
    case Op::FloorDiv: return fl ? float_val(python_divmod(a, b).div) : int_val(int_floordiv(i, j));
    case Op::Mod: return fl ? float_val(python_divmod(a, b).mod) : int_val(int_mod(i, j));
    case Op::Pow: return fl ? float_val(std::pow(a, b)) : int_val(int_pow(i, j));
    case Op::Minimum: return fl ? float_val(float_minimum(a, b)) : int_val(i < j ? i : j);
    case Op::Maximum: return fl ? float_val(float_maximum(a, b)) : int_val(i > j ? i : j);
    case Op::Atan2: return float_val(std::atan2(a, b));
    case Op::Eq: return bool_val(fl ? a == b : i == j);
    case Op::Ne: return bool_val(fl ? a != b : i != j);
    case Op::Lt: return bool_val(fl ? a < b : i < j);
    case Op::Le: return bool_val(fl ? a <= b : i <= j);
    case Op::Gt: return bool_val(fl ? a > b : i > j);
    case Op::Ge: return bool_val(fl ? a >= b : i >= j);
    case Op::LogicalAnd: return bool_val(i != 0 && j != 0);
    case Op::LogicalOr: return bool_val(i != 0 || j != 0);
    case Op::LogicalXor: return bool_val((i != 0) != (j != 0));
    case Op::BitwiseAnd: return int_val(i & j);
    case Op::BitwiseOr: return int_val(i | j);
    case Op::BitwiseXor: return int_val(i ^ j);
    case Op::ShiftLeft: return int_val(shift_left(i, j, t));
    case Op::ShiftRight: return int_val(shift_right(i, j, t));

    // clamp(x, lo, hi) = minimum(maximum(x, lo), hi): NaN in any operand propagates, and
    // lo > hi gives hi.
    case Op::Clamp:
      return fl ? float_val(float_minimum(float_maximum(a, b), c)) : int_val(std::min(std::max(i, j), k));
    // fma rounds a*b+c once in double (then once more to a narrower dtype).
    case Op::Fma: return fl ? float_val(std::fma(a, b, c)) : int_val(wrap_add(wrap_mul(i, j), k));

    case Op::Cast:   // eval_cast
    case Op::Where:  // eval_elementwise copies the chosen element
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  wrong_family(op, "elementwise");
}

// cast: a float source goes through store_double (round once to a float dtype; truncate,
// saturate and NaN -> 0 for integers; != 0 with NaN -> true for bool); an integer or bool
// source through store_int (wrap to integers; round once to floats; != 0 for bool).
void eval_cast(const Array& x, DType to, int64_t count, void* out) {
  DType from = x.dtype();
  for (int64_t e = 0; e < count; ++e) {
    if (is_float(from))
      store_double(out, to, e, load_as_double(x.data, from, e));
    else
      store_int(out, to, e, load_as_int(x.data, from, e));
  }
}

}  // namespace

Val apply_elementwise(Op op, DType t, std::span<const Val> x) { return apply(op, t, x); }

Val apply_binary(Op op, DType t, Val a, Val b) {
  Val x[2] = {a, b};
  return apply(op, t, x);
}

void eval_elementwise(const Node& n, std::span<const Array> in, void* out) {
  const int64_t count = n.numel();
  if (n.op() == Op::Cast) return eval_cast(in[0], n.dtype(), count, out);
  if (n.op() == Op::StopGradient) {
    for (int64_t e = 0; e < count; ++e) copy_element(out, e, in[0].data, e, n.dtype());
    return;
  }
  if (n.op() == Op::Where) {
    // where(cond, a, b): a bit-exact copy of the chosen element (NaN payloads included).
    for (int64_t e = 0; e < count; ++e) {
      const Array& chosen = load_as_int(in[0].data, DType::Bool, e) ? in[1] : in[2];
      copy_element(out, e, chosen.data, e, n.dtype());
    }
    return;
  }
  const DType t = in[0].dtype();
  std::vector<Val> x(in.size());
  for (int64_t e = 0; e < count; ++e) {
    for (size_t o = 0; o < in.size(); ++o) x[o] = load_val(in[o].data, t, e);
    store_val(out, n.dtype(), e, apply(n.op(), t, x));
  }
}

}  // namespace kiln::interp
