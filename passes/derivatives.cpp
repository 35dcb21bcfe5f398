// The derivative table: one rule per op of ops.def, the math in a comment beside each.
//
// Elementwise ops are given by their partial derivatives, written with the forward nodes
// where that saves work (d exp = y reuses exp(x) itself); apply_vjp/apply_jvp turn partials
// into cotangents and tangents. The structural rules live in derivatives_select.cpp
// (selections: one winner gets the value) and derivatives_linear.cpp (linear maps).
#include "passes/derivatives.hpp"

#include <numbers>

namespace kiln::ad {
namespace {

using P = Partial;
using Ps = std::vector<Partial>;

DerivativeRule leaf() { return {RuleKind::Leaf, nullptr, nullptr, nullptr}; }
DerivativeRule zero() { return {RuleKind::Zero, nullptr, nullptr, nullptr}; }
DerivativeRule partials(PartialsFn f) { return {RuleKind::Elementwise, f, nullptr, nullptr}; }

// A constant like node n (its dtype and shape).
NodeRef c(const RuleArgs& a, double v, const NodeRef& like) { return a.g.full_like(v, like); }

}  // namespace

DerivativeRule derivative_rule(Op op) {
  switch (op) {
    case Op::Literal:
    case Op::Constant:
    case Op::Param: return leaf();
    case Op::Iota:        // integer positions
    case Op::RandomBits:  // integer bits
      return zero();

    // d/dx -x = -1
    case Op::Neg: return partials([](const RuleArgs&) -> Ps { return {P::minus_one()}; });
    // d/dx |x| = sign(x), 0 at x = 0 (as PyTorch; a subgradient)
    case Op::Abs: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.un(Op::Sign, a.x(0)))}; });
    // piecewise constant: 0 almost everywhere
    case Op::Sign:
    case Op::Floor:
    case Op::Ceil:
    case Op::Round:
    case Op::Trunc: return zero();
    // d/dx exp(x) = exp(x)
    case Op::Exp: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.y)}; });
    // d/dx 2^x = 2^x ln 2
    case Op::Exp2:
      return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.mul(a.y, c(a, std::numbers::ln2, a.y)))}; });
    // d/dx (exp(x) - 1) = exp(x) = y + 1
    case Op::Expm1: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.add(a.y, c(a, 1, a.y)))}; });
    // d/dx ln x = 1 / x
    case Op::Log: return partials([](const RuleArgs& a) -> Ps { return {P::over(a.x(0))}; });
    // d/dx log2 x = 1 / (x ln 2)
    case Op::Log2:
      return partials([](const RuleArgs& a) -> Ps { return {P::over(a.g.mul(a.x(0), c(a, std::numbers::ln2, a.y)))}; });
    // d/dx ln(1 + x) = 1 / (1 + x)
    case Op::Log1p: return partials([](const RuleArgs& a) -> Ps { return {P::over(a.g.add(c(a, 1, a.y), a.x(0)))}; });
    // d/dx sqrt(x) = 1 / (2 sqrt(x))
    case Op::Sqrt: return partials([](const RuleArgs& a) -> Ps { return {P::over(a.g.mul(c(a, 2, a.y), a.y))}; });
    // d/dx x^(-1/2) = -x^(-3/2) / 2 = -0.5 y / x
    case Op::Rsqrt:
      return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.mul(c(a, -0.5, a.y), a.g.div(a.y, a.x(0))))}; });
    // d/dx 1/x = -1/x^2 = -y^2
    case Op::Reciprocal: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.neg(a.g.square(a.y)))}; });
    // d/dx x^2 = 2x
    case Op::Square: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.mul(c(a, 2, a.y), a.x(0)))}; });
    // d/dx sin(x) = cos(x)
    case Op::Sin: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.un(Op::Cos, a.x(0)))}; });
    // d/dx cos(x) = -sin(x)
    case Op::Cos: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.neg(a.g.un(Op::Sin, a.x(0))))}; });
    // d/dx tan(x) = 1 / cos^2(x) = 1 + tan^2(x)
    case Op::Tan: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.add(c(a, 1, a.y), a.g.square(a.y)))}; });
    // d/dx asin(x) = 1 / sqrt(1 - x^2)
    case Op::Asin:
      return partials([](const RuleArgs& a) -> Ps {
        return {P::over(a.g.un(Op::Sqrt, a.g.sub(c(a, 1, a.y), a.g.square(a.x(0)))))};
      });
    // d/dx acos(x) = -1 / sqrt(1 - x^2)
    case Op::Acos:
      return partials([](const RuleArgs& a) -> Ps {
        return {P::over(a.g.neg(a.g.un(Op::Sqrt, a.g.sub(c(a, 1, a.y), a.g.square(a.x(0))))))};
      });
    // d/dx atan(x) = 1 / (1 + x^2)
    case Op::Atan: return partials([](const RuleArgs& a) -> Ps { return {P::over(a.g.add(c(a, 1, a.y), a.g.square(a.x(0))))}; });
    // d/dx sinh(x) = cosh(x)
    case Op::Sinh: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.un(Op::Cosh, a.x(0)))}; });
    // d/dx cosh(x) = sinh(x)
    case Op::Cosh: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.un(Op::Sinh, a.x(0)))}; });
    // d/dx tanh(x) = 1 - tanh^2(x)
    case Op::Tanh: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.sub(c(a, 1, a.y), a.g.square(a.y)))}; });
    // d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
    case Op::Sigmoid:
      return partials([](const RuleArgs& a) -> Ps { return {P::times(a.g.mul(a.y, a.g.sub(c(a, 1, a.y), a.y)))}; });
    // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
    case Op::Erf:
      return partials([](const RuleArgs& a) -> Ps {
        NodeRef e = a.g.un(Op::Exp, a.g.neg(a.g.square(a.x(0))));
        return {P::times(a.g.mul(c(a, std::numbers::inv_sqrtpi * 2, a.y), e))};
      });
    // bool or integer results
    case Op::IsNan:
    case Op::IsInf:
    case Op::IsFinite:
    case Op::LogicalNot:
    case Op::BitwiseNot: return zero();
    // float -> float: the cotangent cast back; to or from integers and bool: none
    case Op::Cast: return cast_rule();
    // by definition: the value is a constant for differentiation
    case Op::StopGradient: return zero();

    // d/da (a + b) = 1, d/db = 1
    case Op::Add: return partials([](const RuleArgs&) -> Ps { return {P::one(), P::one()}; });
    // d/da (a - b) = 1, d/db = -1
    case Op::Sub: return partials([](const RuleArgs&) -> Ps { return {P::one(), P::minus_one()}; });
    // d/da ab = b, d/db = a
    case Op::Mul: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.x(1)), P::times(a.x(0))}; });
    // d/da a/b = 1/b, d/db = -a/b^2 = -y/b
    case Op::Div:
      return partials([](const RuleArgs& a) -> Ps {
        return {P::over(a.x(1)), a.wants(1) ? P::times(a.g.neg(a.g.div(a.y, a.x(1)))) : P::none()};
      });
    // piecewise constant: 0 almost everywhere
    case Op::FloorDiv: return zero();
    // a mod b = a - b floor(a/b): d/da = 1, d/db = -floor(a/b) (away from the jumps)
    case Op::Mod:
      return partials([](const RuleArgs& a) -> Ps {
        return {P::one(), a.wants(1) ? P::times(a.g.neg(a.g.bin(Op::FloorDiv, a.x(0), a.x(1)))) : P::none()};
      });
    // d/da a^b = b a^(b-1), taken as 0 where b = 0 (so 0^0 has slope 0, not 0 * inf);
    // d/db a^b = a^b ln a, taken as 0 where a = 0 (as JAX: the limit from a > 0 for b > 0).
    case Op::Pow:
      return partials([](const RuleArgs& a) -> Ps {
        const GradBuilder& g = a.g;
        const NodeRef &base = a.x(0), &exponent = a.x(1);
        P d_base, d_exponent;
        if (a.wants(0)) {
          NodeRef slope = g.mul(exponent, g.bin(Op::Pow, base, g.sub(exponent, c(a, 1, a.y))));
          NodeRef b_zero = g.bin(Op::Eq, exponent, c(a, 0, a.y));
          d_base = P::times(g.where(b_zero, c(a, 0, a.y), slope));
        }
        if (a.wants(1)) {
          NodeRef a_zero = g.bin(Op::Eq, base, c(a, 0, a.y));
          d_exponent = P::times(g.mul(a.y, g.un(Op::Log, g.where(a_zero, c(a, 1, a.y), base))));
        }
        return {d_base, d_exponent};
      });
    // minimum/maximum: the winner takes the cotangent (ties: the first operand)
    case Op::Minimum:
    case Op::Maximum: return min_max_rule();
    // atan2(a, b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
    case Op::Atan2:
      return partials([](const RuleArgs& a) -> Ps {
        NodeRef r2 = a.g.add(a.g.square(a.x(0)), a.g.square(a.x(1)));
        return {P::times(a.g.div(a.x(1), r2)), P::times(a.g.neg(a.g.div(a.x(0), r2)))};
      });
    // bool or integer results
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::LogicalAnd:
    case Op::LogicalOr:
    case Op::LogicalXor:
    case Op::BitwiseAnd:
    case Op::BitwiseOr:
    case Op::BitwiseXor:
    case Op::ShiftLeft:
    case Op::ShiftRight: return zero();

    // where(c, a, b): a's cotangent where c, b's elsewhere; c has none
    case Op::Where: return where_rule();
    // clamp(x, lo, hi) = minimum(maximum(x, lo), hi), routed like those two
    case Op::Clamp: return clamp_rule();
    // d/da (ab + c) = b, d/db = a, d/dc = 1
    case Op::Fma: return partials([](const RuleArgs& a) -> Ps { return {P::times(a.x(1)), P::times(a.x(0)), P::one()}; });

    // the cotangent broadcast back over the reduced axes
    case Op::ReduceSum: return reduce_sum_rule();
    // d/dx_i prod x = prod_{j != i} x_j (exact with zeros: no division by them)
    case Op::ReduceProd: return reduce_prod_rule();
    // the first extreme element along the reduced axes (argmax's) takes the cotangent
    case Op::ReduceMax:
    case Op::ReduceMin: return reduce_extreme_rule();
    // integer or bool results
    case Op::ArgMax:
    case Op::ArgMin:
    case Op::ReduceAny:
    case Op::ReduceAll: return zero();

    // views: the cotangent mapped back through the transposed index map
    case Op::Reshape: return reshape_rule();
    case Op::Permute: return permute_rule();
    // the adjoint of broadcasting sums over the broadcast axes
    case Op::Broadcast: return broadcast_rule();
    case Op::Flip: return flip_rule();
    // slice <-> pad with zeros
    case Op::Slice: return slice_rule();
    case Op::Pad: return pad_rule();
    case Op::Concat: return concat_rule();

    // gather and scatter_add are each other's adjoints
    case Op::Gather: return gather_rule();
    case Op::ScatterAdd: return scatter_add_rule();
    // d(AB) = dA B + A dB: ct B^T and A^T ct
    case Op::Matmul: return matmul_rule();
  }
  KILN_CHECK(false) << "derivative_rule: op " << static_cast<int>(op) << " is not in the table";
  return zero();
}

bool is_differentiable(Op op) {
  RuleKind k = derivative_rule(op).kind;
  return k == RuleKind::Elementwise || k == RuleKind::Structural;
}

std::vector<NodeRef> apply_vjp(const DerivativeRule& rule, const RuleArgs& args, const NodeRef& ct) {
  if (rule.kind == RuleKind::Structural) return rule.vjp(args, ct);
  KILN_CHECK(rule.kind == RuleKind::Elementwise) << "apply_vjp on a rule without derivatives: " << op_name(args.y->op());
  std::vector<Partial> ps = rule.partials(args);
  std::vector<NodeRef> out(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    if (!args.wants(i)) continue;
    switch (ps[i].kind) {
      case Partial::Kind::None: break;
      case Partial::Kind::One: out[i] = ct; break;
      case Partial::Kind::MinusOne: out[i] = args.g.neg(ct); break;
      case Partial::Kind::Times: out[i] = args.g.mul(ct, ps[i].factor); break;
      case Partial::Kind::Over: out[i] = args.g.div(ct, ps[i].factor); break;
    }
  }
  return out;
}

NodeRef apply_jvp(const DerivativeRule& rule, const RuleArgs& args, std::span<const NodeRef> tangents) {
  if (rule.kind == RuleKind::Structural) return rule.jvp(args, tangents);
  KILN_CHECK(rule.kind == RuleKind::Elementwise) << "apply_jvp on a rule without derivatives: " << op_name(args.y->op());
  std::vector<Partial> ps = rule.partials(args);
  NodeRef sum;
  for (size_t i = 0; i < ps.size(); ++i) {
    if (!tangents[i]) continue;
    NodeRef term;
    switch (ps[i].kind) {
      case Partial::Kind::None: break;
      case Partial::Kind::One: term = tangents[i]; break;
      case Partial::Kind::MinusOne: term = args.g.neg(tangents[i]); break;
      case Partial::Kind::Times: term = args.g.mul(tangents[i], ps[i].factor); break;
      case Partial::Kind::Over: term = args.g.div(tangents[i], ps[i].factor); break;
    }
    sum = args.g.accumulate(sum, term);
  }
  return sum;
}

}  // namespace kiln::ad
