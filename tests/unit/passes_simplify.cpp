// Every rule of the simplify table keeps values. For each rule and each dtype it holds for,
// random graphs of the rule's pattern are built (shapes, attributes and operand dtypes drawn
// at random, parameters full of NaN, inf, -0.0, subnormals and integer extremes); where the
// rule fires, the node and its replacement are evaluated by the reference interpreter and
// must agree bit for bit (up to NaN sign and payload for rules marked NanBits). A rule that
// never fires for one of its dtypes fails the test too, so a new rule is covered as soon
// as it is in the table.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>

#include "passes/pass_manager.hpp"
#include "passes/simplify.hpp"
#include "passes/simplify_rules.hpp"
#include "passes/splat.hpp"
#include "passes_test_util.hpp"

using namespace kiln;
using namespace kiln::passtest;

namespace {

// Thrown while building an instance whose random choices do not fit together.
struct Retry {};

int64_t pick(std::mt19937_64& rng, int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % (hi - lo + 1)); }

Shape random_shape(std::mt19937_64& rng) {
  Shape s(static_cast<size_t>(pick(rng, 0, 3)));
  for (int64_t& d : s) d = pick(rng, 1, 4);
  return s;
}

// A shape with `n` elements: n's factors spread over up to three dims, with some 1s.
Shape shape_with(int64_t n, std::mt19937_64& rng) {
  Shape s(static_cast<size_t>(pick(rng, n > 1 ? 1 : 0, 3)), 1);
  if (s.empty()) return s;
  for (int64_t f = 2; n > 1;) {
    if (n % f != 0) {
      ++f;
      continue;
    }
    s[rng() % s.size()] *= f;
    n /= f;
  }
  return s;
}

// Builds random graphs matching a pattern, top-down: each op chooses its operands' types
// (and its attributes) so that its result has the type asked for.
class Instantiator {
 public:
  Instantiator(DType x_dtype, std::mt19937_64& rng) : x_dtype_(x_dtype), rng_(rng) {}

  NodeRef build(const Pat& p, const TensorType& want) {
    switch (p.kind) {
      case Pat::Kind::Var: {
        NodeRef& bound = vars_[p.var];
        if (!bound) bound = interesting_param(want, rng_, "v" + std::to_string(p.var));
        if (!(bound->type() == want)) throw Retry{};
        return bound;
      }
      case Pat::Kind::Const: return make_splat(p.value, want, {});
      case Pat::Kind::Node: return build_op(p, want);
    }
    return {};
  }

  // The dtype x was given (x's dtype follows from the ops above it).
  std::optional<DType> bound_x_dtype() const {
    return vars_[kX.index] ? std::optional<DType>(vars_[kX.index]->dtype()) : std::nullopt;
  }

  // x's dtype mostly, sometimes any other.
  DType some_dtype() { return rng_() % 4 != 0 ? x_dtype_ : static_cast<DType>(rng_() % kNumDTypes); }
  DType any_dtype() { return static_cast<DType>(rng_() % kNumDTypes); }

 private:
  NodeRef build_op(const Pat& p, const TensorType& want) {
    std::vector<TensorType> in(p.operands.size(), want);
    Attrs a;
    switch (op_info(p.op).category) {
      case OpCategory::Unary:
      case OpCategory::Binary:
      case OpCategory::Ternary: elementwise_operands(p, want, in); break;
      case OpCategory::Reduce: reduce_operand(p.op, want, in[0], a); break;
      case OpCategory::Movement: movement_operands(p.op, want, in, a); break;
      case OpCategory::Source:
      case OpCategory::Index:
      case OpCategory::Matmul: FAIL("the pattern instantiator does not know " << op_name(p.op)); break;
    }
    std::vector<NodeRef> operands;
    for (size_t i = 0; i < in.size(); ++i) operands.push_back(build(p.operands[i], in[i]));
    if (operands.size() == 2 && is_commutative(p.op) && rng_() % 2) std::swap(operands[0], operands[1]);
    const TensorType* given = op_info(p.op).rule == TypeRule::Given ? &want : nullptr;
    try {
      return make_node(p.op, std::move(operands), std::move(a), given);
    } catch (const Error&) {  // a dtype the op does not take, a shape that does not fit
      throw Retry{};
    }
  }

  void elementwise_operands(const Pat& p, const TensorType& want, std::vector<TensorType>& in) {
    switch (op_info(p.op).rule) {
      case TypeRule::ToBool:
        if (want.dtype != DType::Bool) throw Retry{};
        for (TensorType& t : in) t.dtype = in.size() == 1 ? some_dtype() : x_dtype_;
        break;
      case TypeRule::Given:  // cast: from x's dtype when the operand is x, else from any
        in[0].dtype = p.operands[0].kind == Pat::Kind::Var ? x_dtype_ : any_dtype();
        break;
      case TypeRule::Select: in[0].dtype = DType::Bool; break;
      case TypeRule::Same:
      case TypeRule::ToIndex:
      case TypeRule::Gather:
      case TypeRule::Scatter: break;
    }
  }

  void reduce_operand(Op op, const TensorType& want, TensorType& in, Attrs& a) {
    if (op_info(op).rule == TypeRule::ToIndex) {
      if (want.dtype != DType::I64) throw Retry{};
      in.dtype = some_dtype();
    }
    in.shape = want.shape;
    for (int64_t k = pick(rng_, 0, 2); k > 0; --k) {
      size_t at = rng_() % (in.shape.size() + 1);
      in.shape.insert(in.shape.begin() + static_cast<std::ptrdiff_t>(at), pick(rng_, 1, 4));
      for (int64_t& ax : a.axes)
        if (ax >= static_cast<int64_t>(at)) ++ax;
      a.axes.push_back(static_cast<int64_t>(at));
    }
    std::sort(a.axes.begin(), a.axes.end());
  }

  void movement_operands(Op op, const TensorType& want, std::vector<TensorType>& in, Attrs& a);

  DType x_dtype_;
  std::mt19937_64& rng_;
  std::array<NodeRef, kMaxPatternVars> vars_;
};

void Instantiator::movement_operands(Op op, const TensorType& want, std::vector<TensorType>& in, Attrs& a) {
  const Shape& w = want.shape;
  const size_t rank = w.size();
  Shape& s = in[0].shape;
  switch (op) {
    case Op::Reshape: s = shape_with(numel(w), rng_); return;
    case Op::Broadcast:
      s.assign(w.begin() + pick(rng_, 0, static_cast<int64_t>(rank)), w.end());
      for (int64_t& d : s)
        if (rng_() % 2) d = 1;
      return;
    case Op::Permute:
      a.perm.resize(rank);
      std::iota(a.perm.begin(), a.perm.end(), 0);
      std::shuffle(a.perm.begin(), a.perm.end(), rng_);
      for (size_t i = 0; i < rank; ++i) s[a.perm[i]] = w[i];
      return;
    case Op::Slice:
      for (size_t d = 0; d < rank; ++d) {
        int64_t step = std::vector<int64_t>{1, 1, 2, -1, -2}[rng_() % 5], n = w[d];
        s[d] = n * std::abs(step) + pick(rng_, 0, 2);
        int64_t span = (n - 1) * std::abs(step);
        int64_t start = step > 0 ? pick(rng_, 0, s[d] - 1 - span) : pick(rng_, span, s[d] - 1);
        a.start.push_back(start);
        a.step.push_back(step);
      }
      return;
    case Op::Flip:
      for (size_t d = 0; d < rank; ++d)
        if (rng_() % 2) a.axes.push_back(static_cast<int64_t>(d));
      return;
    case Op::Pad:
      for (size_t d = 0; d < rank; ++d) {
        int64_t lo = pick(rng_, 0, 1), hi = pick(rng_, 0, 1);
        if (lo + hi >= w[d]) lo = hi = 0;
        a.low.push_back(lo);
        a.high.push_back(hi);
        s[d] -= lo + hi;
      }
      a.value = is_float(want.dtype) ? Scalar::of_float(rng_() % 2 ? -0.0 : 1.5) : Scalar::of_int(1);
      return;
    case Op::Concat: {
      if (rank == 0) throw Retry{};
      a.axis = static_cast<int64_t>(rng_() % rank);
      int64_t left = w[a.axis];
      for (size_t k = 0; k + 1 < in.size(); ++k) {
        in[k].shape[a.axis] = pick(rng_, 0, left);
        left -= in[k].shape[a.axis];
      }
      in.back().shape[a.axis] = left;
      return;
    }
    default: FAIL("the pattern instantiator does not know " << op_name(op));
  }
}

// Builds nodes plainly: the rule is checked alone, not with the rest of the table.
const NodeBuilder kPlainBuilder = [](Op op, std::vector<NodeRef> operands, Attrs attrs, const TensorType* given,
                                     SourceLoc loc) {
  return make_node(op, std::move(operands), std::move(attrs), given, loc);
};

// Tries random instances of `rule`, mostly with x of dtype t; checks each replacement;
// returns how many times the rule fired with x of dtype t. Attempts go on after the first
// hits, so that the less likely shapes, attributes and operand dtypes come up too.
int check_rule_on(const SimplifyRule& rule, DType t, std::mt19937_64& rng) {
  int fired = 0;
  for (int attempt = 0; attempt < 400; ++attempt) {
    Instantiator inst(t, rng);
    NodeRef root;
    try {
      // The result's dtype: mostly x's, often any (casts, comparisons).
      root = inst.build(rule.pattern, {rng() % 2 ? inst.some_dtype() : inst.any_dtype(), random_shape(rng)});
    } catch (const Retry&) {
      continue;
    }
    NodeRef out;
    {
      GraphReadLock lock;
      out = apply_rule(rule, *root, root->operands(), kPlainBuilder);
    }
    if (!out) continue;
    fired += inst.bound_x_dtype() == t;
    CAPTURE(std::string(rule.algebra));
    CAPTURE(type_str(root->type()));
    REQUIRE(out->type() == root->type());
    bool any_nan = rule.exactness == Exactness::NanBits;
    CHECK(difference(*value_of(out), *value_of(root), root->dtype(), root->numel(), any_nan) == "");
    // The whole pass (every rule, to a fixed point) keeps the value too.
    Function simplified = simplify(function_of({root}));
    CHECK(difference(*interpret(simplified)[0], *value_of(root), root->dtype(), root->numel(), any_nan) == "");
    CHECK(simplify(simplified).results[0] == simplified.results[0]);
  }
  return fired;
}

}  // namespace

TEST_CASE("every simplify rule keeps values on random graphs of its pattern, for every dtype it holds for") {
  std::mt19937_64 rng(20240611);
  REQUIRE(simplify_rules().size() > 50);
  for (const SimplifyRule& rule : simplify_rules()) {
    for (DType t : all_dtypes()) {
      if (!(rule.dtypes & dtype_bit(t))) continue;
      INFO(std::string(rule.algebra), " with x of dtype ", dtype_name(t));
      CHECK(check_rule_on(rule, t, rng) > 0);
    }
  }
}

TEST_CASE("a sum of broadcast copies is x * n exactly up to each float dtype's bound") {
  std::mt19937_64 rng(7);
  // Counts just under the bounds, odd so that n * x is not a power-of-two scaling.
  const std::vector<std::pair<DType, int64_t>> cases = {
      {DType::F16, 2047}, {DType::BF16, 255}, {DType::F32, 99999}, {DType::F64, 2047}, {DType::I32, 100003}};
  for (auto [t, n] : cases) {
    CAPTURE(dtype_name(t));
    NodeRef x = interesting_param({t, {16}}, rng);
    TensorType wide{t, {n, 16}};
    NodeRef sum = make_node(Op::ReduceSum, {make_node(Op::Broadcast, {x}, {}, &wide)}, axes_attr({0}));
    Function f = simplify(function_of({sum}));
    CHECK(f.results[0]->op() == Op::Mul);
    CHECK(difference(*interpret(f)[0], *value_of(sum), t, 16, true) == "");
  }
}

TEST_CASE("rules never match literals, even where a constant of the same value would") {
  TensorType scalar{DType::F32, {}};
  NodeRef x = make_param(scalar, "x");
  for (Op kind : {Op::Literal, Op::Constant}) {
    NodeRef one = make_node(kind, {}, value_attr(Scalar::of_float(1.0)), &scalar);
    NodeRef product = make_node(Op::Mul, {x, one});
    Function f = simplify(function_of({product}));
    CHECK((f.results[0] == x) == (kind == Op::Constant));
  }
}
