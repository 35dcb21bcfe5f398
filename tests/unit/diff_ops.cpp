// Differential test of every op: kiln (the backend KILN_BACKEND selects) against the reference
// interpreter, through the public API.
//
// The op table drives it: each elementwise and reduction op of ops.def is built with
// make_node on every dtype its Accepts rule allows, so a new op of those categories is
// covered without touching this file; movement, indexing, matmul and source ops need per-op
// attributes, so each has a builder below, and a missing builder fails the test. Inputs mix
// ordinary values with special ones (NaN, ±inf, -0.0, subnormals, integer extremes, zero
// divisors, shift counts past the width), have lengths 1, 7, 1023, 1025 and 2^20+3, and are
// also given as views: flipped, sliced with positive and negative steps, transposed,
// broadcast and padded. Tolerances: see diff_util.hpp; the IEEE-exact operations (and casts,
// movement, comparisons, integer ops) must match bit for bit.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "compiler/ir/node.hpp"
#include "diff_util.hpp"

using namespace kiln;
using namespace kiln::difftest;

namespace {

const std::vector<int64_t> kLengths = {1, 7, 1023, 1025, (int64_t{1} << 20) + 3};
constexpr int64_t kBig = 1 << 20;  // lengths past this run contiguous only (time)

std::set<Op>& ops_seen() {
  static std::set<Op> ops;
  return ops;
}

// ---- Inputs ---------------------------------------------------------------------------------

// What an input is for; it decides the mix of values.
enum class Role {
  First,           // first operand: ordinary values and every special value
  Second,          // later operands: also zero divisors, -1, shift counts around the bit widths
  Finite,          // ordinary values only
  Sum,             // summed: specials but no values near the float maximum (overflow would
                   // then depend on the summation order)
  Product,         // multiplied: magnitudes in [0.9, 1.1], so partial products of up to a few
                   // thousand neither overflow nor underflow
  ProductSpecial,  // Product with a few special values
  Unit,            // ±1 and a few special values: products of any length stay exact
};

std::vector<double> float_specials(DType t, Role r) {
  FloatFacts f = float_facts(t);
  const double inf = INFINITY, nan = NAN, sub = std::ldexp(1.0, f.min_exponent - f.mantissa_bits);
  const double normal = std::ldexp(1.0, f.min_exponent);
  std::vector<double> v = {nan, inf, -inf, -0.0, 0.0, sub, -sub, 3 * sub, normal, -normal};
  if (r == Role::First || r == Role::Second) {
    v.insert(v.end(), {f.max, -f.max, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 1e10, -1e-10, 3.141592653589793});
  }
  if (r == Role::Second) v.insert(v.end(), {0.0, -0.0, 0.0, 2.0, -1.0});
  return v;
}

std::vector<int64_t> int_specials(DType t, Role r) {
  if (t == DType::Bool) return {0, 1};
  const int64_t lo = t == DType::I64 ? INT64_MIN : t == DType::I32 ? INT32_MIN : 0;
  const int64_t hi = t == DType::I64 ? INT64_MAX : t == DType::I32 ? INT32_MAX : int64_t{UINT32_MAX};
  std::vector<int64_t> v = {0, 1, -1, lo, hi, lo + 1, hi - 1, 2, 7};
  if (r == Role::Second) v.insert(v.end(), {0, 0, -1, 31, 32, 33, 63, 64, 65, -2, -31, -33});
  return v;
}

// n values of dtype t for `role`: about one in eight a special value.
Array generate(DType t, Role role, const Shape& shape, uint64_t seed) {
  const int64_t n = numel(shape);
  Rng rng(seed * 7919 + static_cast<uint64_t>(t) * 131 + static_cast<uint64_t>(role));
  if (!is_float(t)) {
    std::vector<int64_t> specials = int_specials(t, role), v(static_cast<size_t>(n));
    for (int64_t& x : v) {
      if (t == DType::Bool)
        x = static_cast<int64_t>(rng.next() & 1);
      else if (role == Role::Product || role == Role::ProductSpecial || role == Role::Unit)
        x = rng.pick(std::vector<int64_t>{1, -1, 1, 2, -3, 0});
      else if (role != Role::Finite && rng.chance(0.125))
        x = rng.pick(specials);
      else if (role == Role::Second && rng.chance(0.5))
        x = rng.between(-3, 70);
      else if (rng.chance(0.5))
        x = rng.between(-1000, 1000);
      else
        x = static_cast<int64_t>(rng.next());  // wrapped to the dtype when stored
    }
    return make_input_int(t, shape, v);
  }
  std::vector<double> specials = float_specials(t, role), v(static_cast<size_t>(n));
  const double special_rate = role == Role::Finite || role == Role::Product        ? 0.0
                              : role == Role::ProductSpecial || role == Role::Unit ? 0.02
                                                                                   : 0.125;
  for (double& x : v) {
    const double r = rng.uniform(0, 1);
    if (r < special_rate)
      x = rng.pick(specials);
    else if (role == Role::Unit)
      x = r < 0.51 ? 1.0 : -1.0;
    else if (role == Role::Product || role == Role::ProductSpecial)
      x = rng.uniform(0.9, 1.1) * (r < 0.5 ? -1 : 1);
    else if (r < 0.5)
      x = rng.uniform(-4, 4);
    else if (r < 0.65)
      x = rng.uniform(-1, 1);
    else if (r < 0.8)
      x = static_cast<double>(rng.between(-8, 8)) * 0.5;  // ties for round, exact ints
    else
      x = std::ldexp(rng.uniform(1, 2), static_cast<int>(rng.between(-30, 30))) * (rng.chance(0.5) ? -1 : 1);
  }
  return make_input(t, shape, v);
}

// generate(), remembered: the same inputs serve many ops (parameters are never consumed).
Array gen(DType t, Role role, const Shape& shape, uint64_t seed) {
  static std::map<std::tuple<DType, Role, Shape, uint64_t>, Array> cache;
  auto key = std::make_tuple(t, role, shape, seed);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, generate(t, role, shape, seed)).first;
  return it->second;
}

// How an operand is laid out in memory: the op sees a view of a parameter.
enum class Layout { Contiguous, Flipped, Strided, NegStrided, Transposed, Broadcast, Padded };
const std::vector<Layout> kLayouts = {Layout::Contiguous, Layout::Flipped,   Layout::Strided, Layout::NegStrided,
                                      Layout::Transposed, Layout::Broadcast, Layout::Padded};

std::string layout_name(Layout l) {
  switch (l) {
    case Layout::Contiguous: return "contiguous";
    case Layout::Flipped: return "flipped";
    case Layout::Strided: return "sliced step 2";
    case Layout::NegStrided: return "sliced step -3";
    case Layout::Transposed: return "transposed";
    case Layout::Broadcast: return "broadcast";
    case Layout::Padded: return "padded";
  }
  return "?";
}

// The shape of an operand of length-n case in layout l.
Shape layout_shape(int64_t n, Layout l) {
  if (l == Layout::Transposed) return {3, (n + 2) / 3};
  if (l == Layout::Broadcast) return {3, n};
  return {n};
}

// Operand `k` of a case: operand 0 (and every operand of the 1-d layouts) is the view itself;
// the later operands of the 2-d layouts are contiguous arrays of the same shape.
Array operand(DType t, Role role, int64_t n, Layout l, int k, uint64_t seed) {
  seed = seed * 31 + static_cast<uint64_t>(k);
  const Shape s = layout_shape(n, l);
  switch (l) {
    case Layout::Contiguous: return gen(t, role, s, seed);
    case Layout::Flipped: return flip(gen(t, role, s, seed));
    case Layout::Strided: return gen(t, role, {2 * n + 1}, seed).slice({{1, none, 2}});
    case Layout::NegStrided: return gen(t, role, {3 * n}, seed).slice({{none, none, -3}});
    case Layout::Transposed: return k == 0 ? transpose(gen(t, role, {s[1], s[0]}, seed)) : gen(t, role, s, seed);
    case Layout::Broadcast: return k == 0 ? broadcast_to(gen(t, role, {1, n}, seed), s) : gen(t, role, s, seed);
    case Layout::Padded: {
      const int64_t before = std::min<int64_t>(1, n - 1), after = std::min<int64_t>(1, n - 1 - before);
      const double value = role == Role::Second ? 0.0 : is_float(t) ? -0.0 : 7.0;
      return pad(gen(t, role, {n - before - after}, seed), {{before, after}}, value);
    }
  }
  return {};
}

// ---- Checking one case -----------------------------------------------------------------------

// Evaluates `result` with the oracle and with kiln and compares; `tolerance` may look at the
// oracle's values (relative bounds).
void check_case(const std::string& what, const Array& result,
                const std::function<Tolerance(const BufferPtr& want)>& tolerance) {
  {
    GraphReadLock lock;
    Function f = function_of({result.node()});
    for (const NodeRef& node : topo_order(f)) ops_seen().insert(node->op());
    if (!f.args.empty()) ops_seen().insert(Op::Param);
  }
  // A node evaluated before (hash-consing returns it for the same op on the same operands)
  // would compare its stored value with itself.
  REQUIRE_MESSAGE(!result.is_evaluated(), what, ": the case was evaluated before");
  static uint64_t cases = 0;
  if (!shard().has(cases++)) return;
  const std::string text = dump(result, false);
  BufferPtr want = oracle({result})[0];
  BufferPtr got = evaluate_roots({result})[0];
  Mismatches m = compare(got->data(), want->data(), result.dtype(), result.size(), tolerance(want));
  CHECK_MESSAGE(m.count == 0, what, ": ", m.count, " of ", result.size(), " elements differ\n", m.first, text);
}
void check_case(const std::string& what, const Array& result, const Tolerance& tol) {
  check_case(what, result, [&](const BufferPtr&) { return tol; });
}

// The IEEE operations that are correctly rounded (so a backend computing them in any wider
// precision and rounding once gets the same bits), and the ops that do not round at all.
bool exact_op(Op op) {
  switch (op) {
    case Op::Neg:
    case Op::Abs:
    case Op::Sign:
    case Op::Floor:
    case Op::Ceil:
    case Op::Round:
    case Op::Trunc:
    case Op::Sqrt:
    case Op::Reciprocal:
    case Op::Square:
    case Op::IsNan:
    case Op::IsInf:
    case Op::IsFinite:
    case Op::LogicalNot:
    case Op::BitwiseNot:
    case Op::Cast:
    case Op::StopGradient:
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Minimum:
    case Op::Maximum:
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
    case Op::ShiftRight:
    case Op::Where:
    case Op::Clamp: return true;
    default: return false;
  }
}

Tolerance elementwise_tolerance(Op op, DType result) {
  if (!is_float(result) || exact_op(op)) return Tolerance::exact();
  return Tolerance::ulps_of(default_ulps(result));
}

std::string describe(Op op, DType t, int64_t n, Layout l) {
  return fmt::format("{} on {}, length {}, {}", op_name(op), dtype_name(t), n, layout_name(l));
}

// The layouts the elementwise tests run: all of them, or those named in KILN_DIFF_LAYOUTS
// (a comma-separated list of contiguous, flipped, strided, negstrided, transposed, broadcast,
// padded). Backends whose every kernel costs a compiler run (cuda-emu) run a subset: each
// layout is a kernel of its own, while lengths share one.
const std::vector<Layout>& selected_layouts() {
  static const std::vector<Layout> layouts = [] {
    const char* env = std::getenv("KILN_DIFF_LAYOUTS");
    if (env == nullptr || *env == '\0') return kLayouts;
    const std::vector<std::string> names = {"contiguous", "flipped",   "strided", "negstrided",
                                            "transposed", "broadcast", "padded"};
    std::vector<Layout> v;
    std::string list = env;
    for (size_t start = 0; start <= list.size();) {
      const size_t end = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, end - start);
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) throw ValueError("KILN_DIFF_LAYOUTS: unknown layout '" + name + "'");
      v.push_back(kLayouts[static_cast<size_t>(it - names.begin())]);
      start = end + 1;
    }
    return v;
  }();
  return layouts;
}

// Every (length, layout) pair the elementwise tests run: every selected layout up to kBig,
// contiguous past it.
template <class F>
void for_each_shape(F f) {
  for (int64_t n : kLengths)
    for (Layout l : selected_layouts())
      if (n <= kBig || l == Layout::Contiguous) f(n, l);
}

template <class F>
void for_each_op(OpCategory category, F f) {
  int count = 0;
  for (int k = 0; k < kNumOps; ++k) {
    const Op op = static_cast<Op>(k);
    if (op_info(op).category != category) continue;
    ++count;
    for (DType t : all_dtypes())
      if (dtype_accepted(op_info(op).accepts, t)) f(op, t);
  }
  CHECK(count > 0);
}

}  // namespace

TEST_CASE("unary ops and casts match the interpreter on every dtype, length and layout") {
  for_each_op(OpCategory::Unary, [](Op op, DType t) {
    if (op == Op::Cast) {
      for (DType to : all_dtypes())
        for_each_shape([&](int64_t n, Layout l) {
          Array x = operand(t, Role::First, n, l, 0, 1);
          TensorType type{to, x.shape()};
          Array r = op_array(Op::Cast, {x.node()}, {}, &type);
          check_case(fmt::format("cast to {}: {}", dtype_name(to), describe(op, t, n, l)), r, Tolerance::exact());
        });
      return;
    }
    for_each_shape([&](int64_t n, Layout l) {
      Array r = op_array(op, {operand(t, Role::First, n, l, 0, 2).node()});
      check_case(describe(op, t, n, l), r, elementwise_tolerance(op, r.dtype()));
    });
  });
}

TEST_CASE("binary ops match the interpreter on every dtype, length and layout") {
  for_each_op(OpCategory::Binary, [](Op op, DType t) {
    for_each_shape([&](int64_t n, Layout l) {
      Array a = operand(t, Role::First, n, l, 0, 3), b = operand(t, Role::Second, n, l, 1, 3);
      Array r = op_array(op, {a.node(), b.node()});
      check_case(describe(op, t, n, l), r, elementwise_tolerance(op, r.dtype()));
    });
  });
}

TEST_CASE("ternary ops match the interpreter on every dtype, length and layout") {
  for_each_op(OpCategory::Ternary, [](Op op, DType t) {
    for_each_shape([&](int64_t n, Layout l) {
      std::vector<NodeRef> operands;
      for (int k = 0; k < 3; ++k) {
        const bool cond = op == Op::Where && k == 0;
        operands.push_back(operand(cond ? DType::Bool : t, k == 0 ? Role::First : Role::Second, n, l, k, 4).node());
      }
      Array r = op_array(op, operands);
      check_case(describe(op, t, n, l), r, elementwise_tolerance(op, r.dtype()));
    });
  });
}

namespace {

// The reduction cases of length n: over a whole 1-d array (also flipped and negatively
// strided), over the rows of [3, n] (row 0 ordinary values, row 1 with special values, row 2
// all -0.0; the rows are concatenated), over the columns of [n, 3] (a strided reduction), and
// over both axes.
struct ReduceInput {
  std::string name;
  Array x;
  std::vector<int64_t> axes;
};
std::vector<ReduceInput> reduce_inputs(Op op, DType t, int64_t n) {
  Role plain = Role::Finite, special = Role::First;
  if (op == Op::ReduceSum) special = Role::Sum;
  if (op == Op::ReduceProd)
    plain = n > 1025 ? Role::Unit : Role::Product, special = n > 1025 ? Role::Unit : Role::ProductSpecial;
  std::vector<ReduceInput> in = {{"1-d", gen(t, special, {n}, 5), {0}}};
  if (n > kBig) return in;
  in.push_back({"1-d flipped", flip(gen(t, special, {n}, 6)), {0}});
  in.push_back({"1-d step -3", gen(t, plain, {3 * n}, 7).slice({{none, none, -3}}), {0}});
  Array zeros = is_float(t) ? full({1, n}, -0.0, t) : gen(t, plain, {1, n}, 8);
  Array rows = concat({gen(t, plain, {1, n}, 9), gen(t, special, {1, n}, 10), zeros});
  in.push_back({"rows of [3,n]", rows, {1}});
  in.push_back({"columns of [n,3]", gen(t, plain, {n, 3}, 11), {0}});
  in.push_back({"all of [3,n]", rows, {0, 1}});
  return in;
}

}  // namespace

TEST_CASE("reductions match the interpreter on every dtype and length") {
  for_each_op(OpCategory::Reduce, [](Op op, DType t) {
    for (int64_t n : kLengths) {
      const bool sum = op == Op::ReduceSum, prod = op == Op::ReduceProd;
      for (const ReduceInput& in : reduce_inputs(op, t, n)) {
        Attrs attrs;
        attrs.axes = in.axes;
        Array r = op_array(op, {in.x.node()}, attrs);
        const std::string what = fmt::format("{} on {}, length {}, {}", op_name(op), dtype_name(t), n, in.name);
        if (!is_float(t) || !(sum || prod)) {
          check_case(what, r, Tolerance::exact());
          continue;
        }
        int64_t count = 1;
        for (int64_t a : in.axes) count *= in.x.dim(static_cast<int>(a));
        if (sum) {
          // |error| <= 2 sqrt(count) eps sum|x| (any summation order a backend may choose),
          // with sum|x| taken from the oracle in f64.
          Array abs_sum = op_array(Op::ReduceSum, {abs(cast(in.x, f64)).node()}, attrs);
          BufferPtr s = oracle({abs_sum})[0];
          const double k = 2 * std::sqrt(static_cast<double>(count)) * epsilon(t);
          Tolerance tol{default_ulps(t), [s, k](int64_t i) { return k * load_as_double(s->data(), DType::F64, i); }};
          check_case(what, r, tol);
        } else {
          // Each of the count-1 products rounds once: relative error <= 2 count eps.
          check_case(what, r, [&](const BufferPtr& want) {
            const double k = 2.0 * static_cast<double>(count) * epsilon(t);
            const DType rt = r.dtype();
            return Tolerance{default_ulps(t),
                             [want, k, rt](int64_t i) { return k * std::fabs(load_as_double(want->data(), rt, i)); }};
          });
        }
      }
    }
  });
}

namespace {

// The cases of one movement op on dtype t with a length-n axis: the op applied to a fresh
// parameter and to views, alone (so the backend materialises it) and feeding an add.
// `seed` picks the parameters: cases built with different seeds share no node.
std::vector<std::pair<std::string, Array>> movement_cases(Op op, DType t, int64_t n, uint64_t seed) {
  auto gen = [&](DType u, Role r, const Shape& s, uint64_t k) { return ::gen(u, r, s, seed * 100 + k); };
  const Array v = gen(t, Role::First, {n}, 12), m = gen(t, Role::First, {3, n}, 13);
  const Array mt = transpose(gen(t, Role::First, {n, 3}, 14));  // [3, n], transposed view
  const double fill = is_float(t) ? NAN : -5;
  switch (op) {
    case Op::Reshape:
      return {{"[n] to [n,1]", reshape(v, {n, 1})},
              {"transposed [3,n] to [3n]", reshape(mt, {3 * n})},
              {"flipped [3,n] to [n,3]", reshape(flip(m), {n, 3})},
              {"[3,n] to [3,1,n,1]", reshape(m, {3, 1, n, 1})}};
    case Op::Permute:
      return {
          {"[3,n] transposed", transpose(m)},
          {"[2,3,n] by (2,0,1)", permute(gen(t, Role::First, {2, 3, n}, 15), {2, 0, 1})},
          {"[2,3,n] by (1,2,0) of a flipped view", permute(flip(gen(t, Role::First, {2, 3, n}, 16), {1}), {1, 2, 0})}};
    case Op::Broadcast:
      return {{"[n] to [3,n]", broadcast_to(v, {3, n})},
              {"[n,1] to [n,4]", broadcast_to(reshape(v, {n, 1}), {n, 4})},
              {"[] to [n]", broadcast_to(gen(t, Role::First, {}, 17), {n})},
              {"flipped [n] to [2,1,n]", broadcast_to(flip(v), {2, 1, n})}};
    case Op::Slice:
      return {{"[1:] step 2", v.slice({{1, none, 2}})},
              {"reversed", v.slice({{none, none, -1}})},
              {"[-2:0:-3]", v.slice({{-2, 0, -3}})},
              {"rows 2:0:-1, columns ::-2 of [3,n]", m.slice({{2, 0, -1}, {none, none, -2}})},
              {"columns 1::3 of a transposed view", mt.slice({{}, {1, none, 3}})}};
    case Op::Flip:
      return {{"[n]", flip(v)},
              {"[3,n] axis 0", flip(m, 0)},
              {"[3,n] both axes", flip(m)},
              {"transposed [3,n] axis 1", flip(mt, 1)}};
    case Op::Pad:
      return {{"[n] by (2,3) with NaN or -5", pad(v, {{2, 3}}, fill)},
              {"[n] by (0,1) with -0.0", pad(v, {{0, 1}}, -0.0)},
              {"[3,n] by ((1,0),(0,2))", pad(m, {{1, 0}, {0, 2}}, 1.5)},
              {"transposed [3,n] by ((0,0),(4,1))", pad(mt, {{0, 0}, {4, 1}}, -2.0)}};
    case Op::Concat:
      return {{"three [n] on axis 0", concat({v, flip(v), gen(t, Role::First, {1}, 18)})},
              {"[3,n] and transposed [3,n] on axis 1", concat({m, mt}, 1)},
              {"[3,n] and [1,n] on axis 0", concat({mt, gen(t, Role::First, {1, n}, 19)}, 0)}};
    default: FAIL("no differential cases for movement op ", op_name(op)); return {};
  }
}

}  // namespace

TEST_CASE("movement ops match the interpreter on every dtype, alone and feeding an add") {
  for_each_op(OpCategory::Movement, [](Op op, DType t) {
    for (int64_t n : kLengths) {
      if (n > kBig) {  // long arrays: only the views that stream, feeding an add
        if (op != Op::Slice && op != Op::Flip) continue;
        Array x = gen(t, Role::First, {n}, 20);
        Array view = op == Op::Flip ? flip(x) : x.slice({{none, none, -2}});
        if (t != DType::Bool) view = op_array(Op::Add, {view.node(), view.node()});
        check_case(fmt::format("{} on {}, length {}", op_name(op), dtype_name(t), n), view, Tolerance::exact());
        continue;
      }
      // Each case twice (new parameters, so new nodes): alone, which makes the backend
      // materialise the view, and as the operand of an add, where it becomes index arithmetic.
      auto alone = movement_cases(op, t, n, 1), fed = movement_cases(op, t, n, 2);
      for (size_t i = 0; i < alone.size(); ++i) {
        if (alone[i].second.is_evaluated()) continue;  // an identity view (length 1): no node
        const std::string what = fmt::format("{} on {}, length {}: {}", op_name(op), dtype_name(t), n, alone[i].first);
        check_case(what, alone[i].second, Tolerance::exact());
        if (t == DType::Bool) continue;
        const NodeRef& v = fed[i].second.node();
        check_case(what + ", feeding an add", op_array(Op::Add, {v, v}), Tolerance::exact());
      }
    }
  });
}

TEST_CASE("gather and scatter_add match the interpreter, with negative and out-of-range indices") {
  for_each_op(OpCategory::Index, [](Op op, DType t) {
    for (int64_t n : kLengths) {
      if (n > kBig) continue;
      for (DType it : {DType::I32, DType::I64, DType::U32}) {
        Rng rng(static_cast<uint64_t>(n) * 17 + static_cast<uint64_t>(it));
        // Indices in [-n-2, n+2]: negative ones wrap once, the rest are clamped (gather) or
        // dropped (scatter_add).
        auto indices = [&](const Shape& shape, int64_t extent) {
          std::vector<int64_t> v(static_cast<size_t>(numel(shape)));
          for (int64_t& i : v) i = rng.between(-extent - 2, extent + 2);
          return make_input_int(it, shape, v);
        };
        const std::string what =
            fmt::format("{} on {} with {} indices, length {}", op_name(op), dtype_name(t), dtype_name(it), n);
        if (op == Op::Gather) {
          Array x = gen(t, Role::First, {3, n}, 21);
          check_case(what + ", axis 1", gather(x, indices({3, 5}, n), 1), Tolerance::exact());
          check_case(what + ", axis 0 of a transposed view",
                     gather(transpose(gen(t, Role::First, {n, 3}, 22)), indices({4, n}, 3), 0), Tolerance::exact());
          check_case(what + ", flipped index", gather(gen(t, Role::First, {n}, 23), flip(indices({n}, n)), 0),
                     Tolerance::exact());
        } else if (op == Op::ScatterAdd) {
          // Sources are small integers and special values: every order of accumulating the
          // duplicates gives the same result, so the comparison is exact.
          auto source = [&](const Shape& shape) {
            if (!is_float(t)) return gen(t, Role::First, shape, 24);
            std::vector<double> v(static_cast<size_t>(numel(shape)));
            for (double& x : v)
              x = rng.chance(0.05) ? rng.pick(std::vector<double>{NAN, INFINITY, -INFINITY, -0.0})
                                   : static_cast<double>(rng.between(-4, 4));
            return make_input(t, shape, v);
          };
          Array dst = is_float(t) ? full({3, n}, -0.0, t) : gen(t, Role::First, {3, n}, 25);
          check_case(what + ", axis 1", scatter_add(dst, indices({3, 6}, n), source({3, 6}), 1), Tolerance::exact());
          check_case(what + ", axis 0 into a transposed view",
                     scatter_add(transpose(gen(t, Role::Finite, {n, 3}, 26)), indices({5, n}, 3), source({5, n}), 0),
                     Tolerance::exact());
        } else {
          FAIL("no differential cases for index op ", op_name(op));
        }
      }
    }
  });
}

TEST_CASE("matmul matches the interpreter on every numeric dtype, inner length and layout") {
  for_each_op(OpCategory::Matmul, [](Op op, DType t) {
    for (int64_t k : kLengths) {
      if (k > kBig) continue;
      const Array a = gen(t, Role::Sum, {3, k}, 27), b = gen(t, Role::Sum, {k, 5}, 28);
      std::vector<std::pair<std::string, std::pair<Array, Array>>> cases = {
          {"[3,k] x [k,5]", {a, b}},
          {"[3,k] x transposed [5,k]", {a, transpose(gen(t, Role::Sum, {5, k}, 29))}},
          {"flipped [2,3,k] x [k,4] (batch broadcast)",
           {flip(gen(t, Role::Sum, {2, 3, k}, 30), 2), gen(t, Role::Sum, {k, 4}, 31)}},
          {"[k] x [k]", {gen(t, Role::Sum, {k}, 32), gen(t, Role::Sum, {k}, 33)}},
          {"[k] x [k,3]", {gen(t, Role::Sum, {k}, 34), gen(t, Role::Sum, {k, 3}, 35)}}};
      if (k == 7) {
        // Several tiles of C each way, partial ones included (the GPU's are 64 x 64), and an
        // inner length of several slices (its are 16 deep), once per dtype.
        const int64_t kk = 37;
        cases.push_back({"[70,37] x [37,131]", {gen(t, Role::Sum, {70, kk}, 36), gen(t, Role::Sum, {kk, 131}, 37)}});
        cases.push_back({"transposed [37,70] x transposed [131,37]",
                         {transpose(gen(t, Role::Sum, {kk, 70}, 38)), transpose(gen(t, Role::Sum, {131, kk}, 39))}});
      }
      for (const auto& [name, ab] : cases) {
        const std::string what = fmt::format("{} on {}, inner length {}: {}", op_name(op), dtype_name(t), k, name);
        Array r = matmul(ab.first, ab.second);
        if (!is_float(t)) {
          check_case(what, r, Tolerance::exact());
          continue;
        }
        // As a sum of k products: |error| <= 2 sqrt(k) eps (|a| @ |b|), the bound from the oracle in f64.
        BufferPtr s = oracle({matmul(abs(cast(ab.first, f64)), abs(cast(ab.second, f64)))})[0];
        const double bound = 2 * std::sqrt(static_cast<double>(k)) * epsilon(t);
        check_case(what, r, Tolerance{default_ulps(t), [s, bound](int64_t i) {
                                        return bound * load_as_double(s->data(), DType::F64, i);
                                      }});
      }
    }
  });
}

TEST_CASE("source ops match the interpreter on every dtype and length") {
  for_each_op(OpCategory::Source, [](Op op, DType t) {
    for (int64_t n : kLengths) {
      const std::string what = fmt::format("{} of {}, length {}", op_name(op), dtype_name(t), n);
      switch (op) {
        case Op::Literal:
          for (double v : {0.0, -0.0, 1.5, -7.0, 1e30, static_cast<double>(NAN), static_cast<double>(-INFINITY)})
            check_case(fmt::format("{}: {}", what, v), full({n}, v, t), Tolerance::exact());
          break;
        case Op::Constant:
          for (double v : {0.0, -0.0, 1.5, -7.0, 1e30, static_cast<double>(NAN), static_cast<double>(-INFINITY)})
            check_case(fmt::format("{}: {}", what, v), broadcast_to(constant(v, t), {n}), Tolerance::exact());
          break;
        case Op::Param:  // a parameter read back and fed through a view
          check_case(what, flip(gen(t, Role::First, {n}, 36)), Tolerance::exact());
          break;
        case Op::Iota:
          check_case(what, arange(n, t), Tolerance::exact());
          check_case(what + ", from -3.5 step 0.25", arange(-3.5, -3.5 + 0.25 * static_cast<double>(n), 0.25, t),
                     Tolerance::exact());
          break;
        case Op::RandomBits:
          check_case(what, random_bits({n}, 42, 7), Tolerance::exact());
          check_case(what + ", [3,n] reversed", random_bits({3, n}, 43).slice({{}, {none, none, -1}}),
                     Tolerance::exact());
          break;
        default: FAIL("no differential cases for source op ", op_name(op));
      }
    }
  });
  // The float random distributions are compositions over random_bits (log, cos, ...).
  for (DType t : {DType::F16, DType::BF16, DType::F32, DType::F64}) {
    check_case(fmt::format("random_uniform of {}", dtype_name(t)), random_uniform({1025}, 5, t, -2.0, 3.0),
               Tolerance::ulps_of(default_ulps(t)));
    // Box-Muller is a chain of inexact ops (log, sqrt, cos of 2 pi u): near a zero of the
    // cosine the relative error is unbounded, so the bound is absolute: a few units of the
    // dtype's epsilon times the largest factor (|r| <= 6, 2 pi, the stddev 2).
    const double eps = std::ldexp(1.0, t == DType::F64 ? -52 : t == DType::F32 ? -23 : t == DType::F16 ? -10 : -7);
    check_case(fmt::format("random_normal of {}", dtype_name(t)), random_normal({1025}, 6, t, 1.0, 2.0),
               Tolerance{default_ulps(t), [eps](int64_t) { return 16 * eps * 6 * 2 * 6.3; }});
  }
}

// Runs last (doctest orders the cases of a file by line): every op of the table was part of
// some graph checked above, so a new op without differential cases fails here.
TEST_CASE("every op of the table was checked against the interpreter") {
  if (ops_seen().empty()) return;  // only this case was selected on the command line
  for (int k = 0; k < kNumOps; ++k) {
    CAPTURE(op_name(static_cast<Op>(k)));
    CHECK(ops_seen().count(static_cast<Op>(k)) == 1);
  }
}
