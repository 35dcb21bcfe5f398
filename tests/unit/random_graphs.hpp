// The random graph generator of the differential tests (diff_random_graphs for values,
// diff_random_gradients for derivatives): a seeded generator that builds graphs of 50+ ops
// through the public API (elementwise math with broadcasting, reductions with and without
// keepdims, views: slice/flip/pad/permute/reshape/concat/broadcast, gather, scatter_add,
// where, casts between dtypes, matmul, softmax).
//
// So that a comparison means something, the generator tracks for every node a bound on its
// magnitude and on the difference two correct implementations may show (`err`): 0 for a
// node that every backend must compute bit for bit (inputs, movement, integer ops, and the
// correctly rounded float ops on such nodes), otherwise grown op by op from each op's
// Lipschitz constant and rounding. Discontinuous ops (comparisons, floor/round, casts to
// integers, argmax, where's condition, gather indices) only ever see exact nodes, and the
// inputs of continuous but unbounded ops are kept in safe ranges by construction (a divisor
// is |b| + 1, a logarithm's argument |x| + 1, a big value goes through tanh first).
// The same seed and options give the same graph: every choice comes from the seed, none from
// the values.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <numeric>
#include <set>

#include "compiler/ir/infer.hpp"
#include "diff_util.hpp"

namespace kiln::randgraph {

using namespace kiln::difftest;

constexpr int kMinOps = 50;
constexpr double kBig = 16;  // float nodes larger than this are squashed before products
// The rounding of a transcendental function, as `ulps` of push(): 4 ulps on each side for f32
// and f64 (vector math libraries), 1 on each side for f16 and bf16 (computed wider, rounded once).
constexpr double kTranscendental = -1;

// A node of the generated graph and what the generator knows about its values.
struct Val {
  Array a;
  double mag = 0;  // bound on |value| (for integers, of the value as a number)
  double err = 0;  // bound on |difference| between two correct backends; 0: bit-exact
  bool is_float() const { return kiln::is_float(a.dtype()); }
  bool exact() const { return err == 0; }
};

inline double clamp_mag(double m) { return std::isfinite(m) ? std::min(m, 1e300) : 1e300; }

// Rounding unit of the result dtype (0 for integers and bool, which never round).
inline double unit(DType t) { return is_float(t) ? epsilon(t) : 0.0; }

// Thrown by pick() when no value fits; the step is then replaced by a new input.
struct NoFit {};

// Variations of the generated graphs (the defaults are the value sweep's).
struct GenOptions {
  // Floats are f64 only (no f16/bf16/f32 inputs or casts): for derivatives, whose
  // comparisons have no error bounds of their own.
  bool f64_only = false;
  // A fifth of the float inputs are multiples of 0.5, so that ties and equal values occur.
  bool ties = true;
  // Integer inputs are signed and in [-20, 20]: no u32 wrapping to 4e9, no full-range values.
  // (A float path through a huge value is a staircase that finite differences cannot see.)
  bool small_integers = false;
  // The two operands of a binary op are never both inexact and computed from a common input.
  // A backend may round one value differently where it computes it twice (vector and scalar
  // math), so comparing a value with a copy of itself (x and pad(slice(x))), or subtracting
  // it, can go either way; a derivative routed by that (maximum, clamp, abs) would then differ.
  bool separate_inexact = false;
  // Called on the values of each float parameter before it is made: a finite difference
  // moves the inputs of an otherwise identical graph.
  std::function<void(DType t, std::vector<double>& values)> perturb;
};

class GraphGen {
 public:
  explicit GraphGen(uint64_t seed, GenOptions options = {}) : rng_(seed), options_(std::move(options)) {
    // The last dim reaches past 32 so that vector loops run with remainders.
    dims_ = {rng_.between(2, 4), rng_.between(2, 6), rng_.between(3, 37)};
  }

  // Builds the graph and returns the values nobody uses (the graph's outputs). `check_mid`
  // is called once midway with a node to evaluate on its own.
  std::vector<Val> build(const std::function<void(const Val&)>& check_mid) {
    for (int i = 0; i < 3; ++i) input(random_float_dtype(), random_shape());
    const DType it = rng_.pick(std::vector<DType>{DType::I32, DType::I64, DType::U32});
    input(options_.small_integers && it == DType::U32 ? DType::I64 : it, random_shape());
    input(DType::Bool, random_shape());
    const int mid = rng_.chance(0.5) ? kMinOps / 2 : -1;
    for (int step = 0; ops_ < kMinOps + 5; ++step) {
      if (step == mid) check_mid(pick([](const Val& v) { return !v.a.is_evaluated(); }));
      random_step();
    }
    return sinks();
  }
  int ops() const { return ops_; }
  // Every float parameter created (inputs and matmul weights), in creation order.
  const std::vector<Array>& float_params() const { return float_params_; }

 private:
  // ---- Shapes and inputs ----------------------------------------------------------------
  // Every node's shape is "canonical": rank <= 3, right-aligned with dims_, each dim either 1
  // or dims_[k]. Any two canonical shapes broadcast.
  Shape random_shape() {
    const int rank = static_cast<int>(rng_.between(0, 3));
    Shape s;
    for (int k = 3 - rank; k < 3; ++k) s.push_back(rng_.chance(0.7) ? dims_[k] : 1);
    return s;
  }
  DType random_float_dtype() {
    const double r = rng_.uniform(0, 1);
    if (options_.f64_only) return DType::F64;
    return r < 0.55 ? DType::F32 : r < 0.7 ? DType::F64 : r < 0.85 ? DType::F16 : DType::BF16;
  }

  // A new parameter in the pool.
  Val& input(DType t, const Shape& s) {
    pool_.push_back(parameter(t, s));
    return pool_.back();
  }
  // A new parameter: floats in [-3, 3] (a fifth of them multiples of 0.5, so that ties and
  // equal values occur), integers in a small or the full range.
  Val parameter(DType t, const Shape& s) {
    const int64_t n = numel(s);
    Val v;
    if (is_float(t)) {
      std::vector<double> x(static_cast<size_t>(n));
      for (double& e : x)
        e = rng_.chance(0.2) && options_.ties ? static_cast<double>(rng_.between(-6, 6)) * 0.5 : rng_.uniform(-3, 3);
      if (options_.perturb) options_.perturb(t, x);
      v.a = make_input(t, s, x), v.mag = 3;
      float_params_.push_back(v.a);
    } else {
      std::vector<int64_t> x(static_cast<size_t>(n));
      int64_t range = t == DType::Bool ? 1 : rng_.chance(0.15) ? INT64_MAX : rng_.chance(0.5) ? 20 : 1000;
      if (options_.small_integers) range = std::min<int64_t>(range, 20);
      for (int64_t& e : x) e = range == INT64_MAX ? static_cast<int64_t>(rng_.next()) : rng_.between(-range, range);
      v.a = make_input_int(t, s, x);
      v.mag = range == INT64_MAX ? std::ldexp(1.0, 8 * dtype_size(t)) : static_cast<double>(range);
    }
    return v;
  }

  // The pending values no other value depends on (each node once).
  std::vector<Val> sinks() const {
    std::set<const Node*> inner;
    {
      GraphReadLock lock;
      for (const Val& v : pool_) {
        if (v.a.is_evaluated()) continue;
        for (const NodeRef& n : topo_order(function_of({v.a.node()})))
          if (n != v.a.node()) inner.insert(n.get());
      }
    }
    std::vector<Val> out;
    std::set<const Node*> seen;
    for (const Val& v : pool_)
      if (!v.a.is_evaluated() && !inner.count(v.a.node().get()) && seen.insert(v.a.node().get()).second)
        out.push_back(v);
    return out;
  }

  // A random pool value satisfying `pred`, most often one of the latest (so the graph is
  // deep).
  template <class Pred>
  Val& pick(Pred pred) {
    std::vector<size_t> fit;
    for (size_t i = 0; i < pool_.size(); ++i)
      if (pred(pool_[i])) fit.push_back(i);
    if (fit.empty()) throw NoFit{};
    size_t k = rng_.chance(0.7)
                   ? fit[fit.size() - 1 - static_cast<size_t>(rng_.between(0, std::min<int64_t>(3, fit.size() - 1)))]
                   : rng_.pick(fit);
    return pool_[k];
  }
  bool has(const std::function<bool(const Val&)>& pred) const { return std::any_of(pool_.begin(), pool_.end(), pred); }

  // The second operand of a binary op with first operand x (see GenOptions::separate_inexact).
  template <class Pred>
  Val& partner(const Val& x, Pred pred) {
    if (!options_.separate_inexact || x.exact()) return pick(pred);
    std::set<const Node*> mine = inputs_of(x);
    return pick([&](const Val& v) {
      if (!pred(v)) return false;
      if (v.exact()) return true;
      for (const Node* n : inputs_of(v))
        if (mine.count(n)) return false;
      return true;
    });
  }
  static std::set<const Node*> inputs_of(const Val& v) {
    std::set<const Node*> s;
    for (const Argument& a : function_of({v.a.node()}).args) s.insert(a.node.get());
    return s;
  }

  // Adds a node: an op whose exact inputs give an exact result when `exact_op`, else err is
  // the propagated error plus `ulps` units of rounding of the result.
  Val push(Array a, double mag, double propagated, bool exact_op, double ulps) {
    Val v;
    // Integer ops wrap, and bitwise ops on negative values can grow: any integer value is
    // bounded by its dtype's range only.
    if (is_integer(a.dtype())) mag = std::ldexp(1.0, 8 * dtype_size(a.dtype()));
    if (a.dtype() == DType::Bool) mag = 1;
    v.mag = clamp_mag(mag);
    if (ulps == kTranscendental) ulps = a.dtype() == DType::F16 || a.dtype() == DType::BF16 ? 2 : 8;
    const bool exact = exact_op && propagated == 0;
    // Two values bounded by mag differ by at most 2 mag, whatever the bound above says.
    v.err = exact ? 0 : std::min(clamp_mag(propagated + ulps * unit(a.dtype()) * v.mag), 2 * v.mag);
    if (!is_float(a.dtype()) && !exact) v.err = 0;  // integers never round (only exact inputs reach them)
    v.a = std::move(a);
    if (created_.insert(v.a.node()->id()).second) ++ops_;  // not a view that changed nothing
    pool_.push_back(v);
    return v;
  }
  Val exact(Array a, double mag) { return push(std::move(a), mag, 0, true, 0); }
  // A view of x: the same values in other places, so x's magnitude and error carry over.
  Val carry(const Val& x, Array a) { return push(std::move(a), x.mag, x.err, true, 0); }

  // x itself when |x| <= kBig, else tanh(x) (|tanh| <= 1, Lipschitz 1).
  Val small(const Val& x) {
    if (!x.is_float() || x.mag <= kBig) return x;
    return push(tanh(x.a), 1, x.err, false, kTranscendental);
  }

  // ---- Steps ---------------------------------------------------------------------------
  void random_step() {
    using Step = void (GraphGen::*)();
    static const std::vector<std::pair<double, Step>> steps = {
        {12, &GraphGen::float_unary},   {3, &GraphGen::discontinuous_unary}, {12, &GraphGen::arithmetic},
        {4, &GraphGen::integer_binary}, {4, &GraphGen::comparison},          {3, &GraphGen::where_or_clamp},
        {4, &GraphGen::cast_step},      {7, &GraphGen::reduction},           {2, &GraphGen::softmax_step},
        {10, &GraphGen::view},          {3, &GraphGen::permuted_binary},     {3, &GraphGen::gather_step},
        {1, &GraphGen::scatter_step},   {2, &GraphGen::matmul_step},         {1, &GraphGen::new_input}};
    double total = 0;
    for (const auto& s : steps) total += s.first;
    double r = rng_.uniform(0, total);
    size_t k = 0;
    while (k + 1 < steps.size() && r >= steps[k].first) r -= steps[k++].first;
    try {
      (this->*steps[k].second)();
    } catch (const NoFit&) {
      new_input();
    }
  }

  void new_input() { input(rng_.chance(0.7) ? random_float_dtype() : DType::I32, random_shape()); }

  // Continuous float functions: err_out = L err_in + rounding.
  void float_unary() {
    Val x = pick([](const Val& v) { return v.is_float(); });
    const Array& a = x.a;
    switch (rng_.between(0, 15)) {
      case 0: push(sin(a), 1, x.err, false, kTranscendental); break;
      case 1: push(cos(a), 1, x.err, false, kTranscendental); break;
      case 2: push(tanh(a), 1, x.err, false, kTranscendental); break;
      case 3: push(sigmoid(a), 1, 0.25 * x.err, false, kTranscendental); break;
      case 4: push(atan(a), 1.6, x.err, false, kTranscendental); break;
      case 5: push(erf(a), 1, 1.13 * x.err, false, kTranscendental); break;
      case 6: {  // exp of [-4, 4]
        Val c = push(clamp(a, -4.0, 4.0), std::min(x.mag, 4.0), x.err, true, 2);
        const double top = std::exp(c.mag);  // exp's value and slope on [-c.mag, c.mag]
        push(exp(c.a), top, top * c.err, false, kTranscendental);
        break;
      }
      case 7: {  // log and log2 of |x| + 1 (argument >= 1: Lipschitz 1 and 1.45)
        Val b = push(abs(a) + 1.0, x.mag + 1, x.err, true, 2);
        if (rng_.chance(0.5))
          push(log(b.a), std::log(b.mag) + 1, b.err, false, kTranscendental);
        else
          push(log2(b.a), std::log2(b.mag) + 1, 1.45 * b.err, false, kTranscendental);
        break;
      }
      case 8: {  // sqrt (correctly rounded) and rsqrt of |x| + 1
        Val b = push(abs(a) + 1.0, x.mag + 1, x.err, true, 2);
        if (rng_.chance(0.5))
          push(sqrt(b.a), std::sqrt(b.mag), 0.5 * b.err, true, 2);
        else
          push(rsqrt(b.a), 1, 0.5 * b.err, false, kTranscendental);
        break;
      }
      case 9: {  // reciprocal of |x| + 1 (correctly rounded)
        Val b = push(abs(a) + 1.0, x.mag + 1, x.err, true, 2);
        push(reciprocal(b.a), 1, b.err, true, 2);
        break;
      }
      case 10: {
        Val s = small(x);
        push(square(s.a), s.mag * s.mag, 2 * s.mag * s.err, true, 2);
        break;
      }
      case 11: push(-a, x.mag, x.err, true, 0); break;
      case 12: push(abs(a), x.mag, x.err, true, 0); break;
      case 13: {  // asin/acos of 0.9 tanh(x): |derivative| <= 2.3
        Val t = push(tanh(a), 1, x.err, false, kTranscendental);
        Val u = push(t.a * 0.9, 0.9, 0.9 * t.err, true, 2);
        push(rng_.chance(0.5) ? asin(u.a) : acos(u.a), 3.2, 2.3 * u.err, false, kTranscendental);
        break;
      }
      case 14: {  // expm1, sinh, cosh of [-3, 3]
        Val c = push(clamp(a, -3.0, 3.0), std::min(x.mag, 3.0), x.err, true, 2);
        const int64_t k = rng_.between(0, 2);
        const double top = std::exp(c.mag);  // bounds the values and slopes of all three
        push(k == 0 ? expm1(c.a) : k == 1 ? sinh(c.a) : cosh(c.a), top, top * c.err, false, kTranscendental);
        break;
      }
      case 15: {  // tan of [-1.2, 1.2]: |derivative| <= 7.6
        Val c = push(clamp(a, -1.2, 1.2), std::min(x.mag, 1.2), x.err, true, 2);
        const double slope = 1 / (std::cos(c.mag) * std::cos(c.mag));
        push(tan(c.a), std::tan(c.mag), slope * c.err, false, kTranscendental);
        break;
      }
    }
  }

  // Ops with jumps, on exact values only; integer unary ops.
  void discontinuous_unary() {
    Val x = pick([](const Val& v) { return v.exact() && v.a.dtype() != DType::Bool; });
    const Array& a = x.a;
    switch (rng_.between(0, 5)) {
      case 0: exact(floor(a), x.mag + 1); break;
      case 1: exact(ceil(a), x.mag + 1); break;
      case 2: exact(round(a), x.mag + 1); break;
      case 3: exact(trunc(a), x.mag); break;
      case 4: exact(sign(a), 1); break;
      case 5:
        if (x.is_float())
          exact(isfinite(a), 1);
        else
          exact(bitwise_not(a), x.mag + 1);
        break;
    }
  }

  // +, -, *, /, min, max, pow, fma on numbers (broadcasting and promotion by the frontend).
  void arithmetic() {
    auto numeric = [](const Val& v) { return v.a.dtype() != DType::Bool; };
    Val x = pick(numeric), y = partner(x, numeric);
    const bool floats = x.is_float() || y.is_float();
    switch (rng_.between(0, 6)) {
      case 0: push(x.a + y.a, x.mag + y.mag, x.err + y.err, true, 2); break;
      case 1: push(x.a - y.a, x.mag + y.mag, x.err + y.err, true, 2); break;
      case 2: {
        Val s = small(x), t = small(y);
        push(s.a * t.a, s.mag * t.mag, s.err * t.mag + t.err * s.mag + s.err * t.err, true, 2);
        break;
      }
      case 3: {  // x / (|y| + 1): the divisor is >= 1
        if (!floats) return push_int_division(x, y);
        Val d = push(abs(y.a) + 1.0, y.mag + 1, y.err, true, 2);
        push(x.a / d.a, x.mag, x.err + x.mag * d.err, true, 2);
        break;
      }
      case 4:
        push(rng_.chance(0.5) ? minimum(x.a, y.a) : maximum(x.a, y.a), std::max(x.mag, y.mag), std::max(x.err, y.err),
             true, 0);
        break;
      case 5: {  // (|x| + 0.5) ^ clamp(y, -2, 2)
        if (!floats) return push_int_division(x, y);
        Val s = small(x);
        Val b = push(abs(s.a) + 0.5, s.mag + 0.5, s.err, true, 2);
        Val e = push(clamp(y.a, -2.0, 2.0), 2, y.err, true, 2);
        const double mag = std::max(b.mag * b.mag, 4.0);
        push(pow(b.a, e.a), mag, 2 * std::max(b.mag, 8.0) * b.err + std::log(std::max(b.mag, 2.0)) * mag * e.err, false,
             kTranscendental);
        break;
      }
      case 6: {
        Val s = small(x), t = small(y), z = small(pick(numeric));
        push(fma(s.a, t.a, z.a), s.mag * t.mag + z.mag, s.err * t.mag + t.err * s.mag + s.err * t.err + z.err, false,
             3);
        break;
      }
    }
  }
  void push_int_division(const Val& x, const Val& y) {
    if (rng_.chance(0.5))
      exact(floordiv(x.a, y.a), x.mag + 1);
    else
      exact(mod(x.a, y.a), y.mag);
  }

  void integer_binary() {
    auto boolean = [](const Val& v) { return v.a.dtype() == DType::Bool; };
    auto integer = [](const Val& v) { return is_integer(v.a.dtype()); };
    if (rng_.chance(0.3) && has(boolean)) {
      Val x = pick(boolean), y = pick(boolean);
      const int64_t k = rng_.between(0, 3);
      exact(k == 0 ? logical_and(x.a, y.a) : k == 1 ? logical_or(x.a, y.a) : k == 2 ? logical_xor(x.a, y.a) : !x.a, 1);
      return;
    }
    if (!has(integer)) return new_input();
    Val x = pick(integer), y = pick(integer);
    const double wide = std::ldexp(1.0, 64);
    switch (rng_.between(0, 4)) {
      case 0: exact(x.a & y.a, std::max(x.mag, y.mag)); break;
      case 1: exact(x.a | y.a, wide); break;
      case 2: exact(x.a ^ y.a, wide); break;
      case 3: exact(x.a << y.a, wide); break;
      case 4: exact(x.a >> y.a, x.mag); break;
    }
  }

  void comparison() {
    Val x = pick([](const Val&v) { return v.exact(); }), y = pick([](const Val&v) { return v.exact(); });
    switch (rng_.between(0, 5)) {
      case 0: exact(x.a < y.a, 1); break;
      case 1: exact(x.a <= y.a, 1); break;
      case 2: exact(x.a > y.a, 1); break;
      case 3: exact(x.a >= y.a, 1); break;
      case 4: exact(x.a == y.a, 1); break;
      case 5: exact(x.a != y.a, 1); break;
    }
  }

  void where_or_clamp() {
    Val c = pick([](const Val& v) { return v.exact(); });
    Val x = pick([](const Val&) { return true; });
    Val y = partner(x, [](const Val&) { return true; });
    if (rng_.chance(0.6) || x.a.dtype() == DType::Bool || y.a.dtype() == DType::Bool || c.a.dtype() == DType::Bool)
      push(where(c.a, x.a, y.a), std::max(x.mag, y.mag), std::max(x.err, y.err), true, 0);
    else  // clamp is continuous in all three arguments
      push(clamp(x.a, y.a, c.a), std::max({x.mag, y.mag, c.mag}), std::max(x.err, y.err), true, 0);
  }

  void cast_step() {
    Val x = pick([](const Val&) { return true; });
    std::vector<DType> targets = {DType::F16, DType::BF16, DType::F32, DType::F64};
    if (options_.f64_only) targets = {DType::F64};
    if (x.exact()) targets.insert(targets.end(), {DType::I32, DType::I64, DType::U32, DType::Bool});
    const DType to = rng_.pick(targets);
    if (to == x.a.dtype()) return;
    // An inexact value must stay far from the target's largest finite value (f16: 65504).
    Val s = x.exact() ? x : x.mag > 1000 ? small(x) : x;
    const double mag = is_float(to) ? s.mag : to == DType::Bool ? 1 : std::ldexp(1.0, 8 * dtype_size(to));
    push(cast(s.a, to), mag, s.err, true, 2);
  }

  // sum, mean, max, min, prod, argmax, any/all over random axes, with keepdims or without
  // (a reshape then restores the canonical shape).
  void reduction() {
    Val x = pick([](const Val& v) { return v.a.ndim() > 0; });
    std::vector<int> axes;
    int64_t count = 1;
    for (int d = 0; d < x.a.ndim(); ++d)
      if (rng_.chance(0.5)) axes.push_back(d), count *= x.a.dim(d);
    if (axes.empty()) axes.push_back(x.a.ndim() - 1), count = x.a.dim(-1);
    Shape kept = x.a.shape();
    for (int d : axes) kept[static_cast<size_t>(d)] = 1;
    const bool keepdims = rng_.chance(0.5);
    auto finish = [&](Array r, double mag, double propagated, bool exact_op, double ulps) {
      if (!keepdims) r = reshape(r, kept);
      push(std::move(r), mag, propagated, exact_op, ulps);
    };
    const Axes ax(axes);
    const double n = static_cast<double>(count);
    if (x.a.dtype() == DType::Bool) {
      finish(rng_.chance(0.5) ? any(x.a, ax, keepdims) : all(x.a, ax, keepdims), 1, 0, true, 0);
      return;
    }
    switch (rng_.between(0, 4)) {
      case 0: {  // float sums differ by the summation order: 2 sqrt(n) eps sum|x| (as diff_ops)
        Val s = small(x);
        finish(sum(s.a, ax, keepdims), n * s.mag, n * s.err + 2 * std::sqrt(n) * n * unit(s.a.dtype()) * s.mag,
               !s.is_float(), 2);
        break;
      }
      case 1: {  // mean of floats (of integers it would sum huge values in f32: a sum instead)
        if (!x.is_float()) {
          finish(sum(x.a, ax, keepdims), 0, 0, true, 0);
          break;
        }
        Val s = small(x);
        finish(mean(s.a, ax, keepdims), s.mag, s.err + 2 * n * unit(s.a.dtype()) * s.mag, false, 2);
        break;
      }
      case 2: finish(rng_.chance(0.5) ? max(x.a, ax, keepdims) : min(x.a, ax, keepdims), x.mag, x.err, true, 0); break;
      case 3:
        if (x.exact())
          finish(rng_.chance(0.5) ? argmax(x.a, ax, keepdims) : argmin(x.a, ax, keepdims), n, 0, true, 0);
        else
          finish(max(x.a, ax, keepdims), x.mag, x.err, true, 0);
        break;
      case 4: {  // products of values in [-1, 1]
        if (!x.is_float()) {
          finish(prod(x.a, ax, keepdims), std::ldexp(1.0, 64), 0, true, 0);
          break;
        }
        Val t = push(tanh(x.a), 1, x.err, false, kTranscendental);
        finish(prod(t.a, ax, keepdims), 1, n * t.err, false, 2 * n);
        break;
      }
    }
  }

  void softmax_step() {
    Val x = small(pick([](const Val& v) { return v.is_float() && v.a.ndim() > 0; }));
    const int axis = static_cast<int>(rng_.between(0, x.a.ndim() - 1));
    const double n = static_cast<double>(x.a.dim(axis));
    if (rng_.chance(0.5))
      push(softmax(x.a, axis), 1, 2 * x.err, false, 16 * n);
    else
      push(logsumexp(x.a, axis, true), x.mag + std::log(n), x.err, false, 16 * n);
  }

  // Views that keep the canonical shape; exact, so err and mag carry over.
  void view() {
    Val x = pick([](const Val& v) { return v.a.ndim() > 0; });
    const Array& a = x.a;
    const int r = a.ndim();
    std::vector<int> wide;  // axes longer than 1
    for (int d = 0; d < r; ++d)
      if (a.dim(d) > 1) wide.push_back(d);
    auto ranges_on = [&](int axis, Range range) {
      std::vector<Range> rs(static_cast<size_t>(axis) + 1);
      rs[static_cast<size_t>(axis)] = range;
      return rs;
    };
    const int64_t kind = wide.empty() ? 5 : rng_.between(0, 6);
    const int axis = wide.empty() ? 0 : rng_.pick(wide);
    const int64_t len = a.dim(axis);
    switch (kind) {
      case 0: carry(x, flip(a, axis)); break;
      case 1: carry(x, a.slice(ranges_on(axis, {none, none, -1}))); break;
      case 2: {  // drop the first element, pad it back with a constant
        const double v = rng_.pick(std::vector<double>{0.0, -1.5, 2.0});
        std::vector<std::pair<int64_t, int64_t>> widths(static_cast<size_t>(r), {0, 0});
        widths[static_cast<size_t>(axis)] = {1, 0};
        push(pad(a.slice(ranges_on(axis, {1, none})), widths, v), std::max(x.mag, 2.0), x.err, true, 0);
        break;
      }
      case 3:  // even then odd elements: a permutation of the axis
        carry(x, concat({a.slice(ranges_on(axis, {none, none, 2})), a.slice(ranges_on(axis, {1, none, 2}))}, axis));
        break;
      case 4: {  // split and concatenate in the other order
        const int64_t k = rng_.between(1, len - 1);
        carry(x, concat({a.slice(ranges_on(axis, {k, none})), a.slice(ranges_on(axis, {none, k}))}, axis));
        break;
      }
      case 5: {  // flatten a view, then back
        carry(x, reshape(flip(reshape(a, {-1})), a.shape()));
        break;
      }
      case 6: {  // broadcast to a bigger canonical shape, or add a leading axis
        if (r < 3 && rng_.chance(0.3)) {
          carry(x, expand_dims(a, 0));
          break;
        }
        Shape to;
        for (int k = 0; k < 3; ++k) {
          const int d = k - (3 - r);
          to.push_back(d >= 0 && a.dim(d) > 1 ? a.dim(d) : rng_.chance(0.6) ? dims_[k] : 1);
        }
        carry(x, broadcast_to(a, to));
        break;
      }
    }
  }

  // A binary op computed in a permuted layout and permuted back.
  void permuted_binary() {
    auto numeric = [](const Val& v) { return v.a.dtype() != DType::Bool; };
    Val x = pick(numeric), y = partner(x, numeric);
    std::optional<Shape> b = broadcast_shapes(x.a.shape(), y.a.shape());
    KILN_CHECK(b) << "random graph: a value of non-canonical shape " << shape_str(x.a.shape());
    Shape s = *b;
    if (s.size() < 2) return arithmetic();
    std::vector<int> perm(s.size()), inverse(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    for (size_t i = perm.size() - 1; i > 0; --i)
      std::swap(perm[i], perm[static_cast<size_t>(rng_.between(0, static_cast<int64_t>(i)))]);
    for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int>(i);
    Array px = permute(broadcast_to(x.a, s), perm), py = permute(broadcast_to(y.a, s), perm);
    if (rng_.chance(0.5))
      push(permute(px + py, inverse), x.mag + y.mag, x.err + y.err, true, 2);
    else
      push(permute(maximum(px, py), inverse), std::max(x.mag, y.mag), std::max(x.err, y.err), true, 0);
  }

  // take_along_axis with fresh indices in [-n-2, n+1] (negative wrap, then clamp) or indices
  // computed from an exact integer value.
  void gather_step() {
    Val x = pick([](const Val& v) { return v.a.ndim() > 0; });
    const int axis = static_cast<int>(rng_.between(0, x.a.ndim() - 1));
    const int64_t n = x.a.dim(axis);
    Array index;
    auto fits = [&](const Val& v) {
      auto b = broadcast_shapes(v.a.shape(), x.a.shape());
      return is_integer(v.a.dtype()) && v.exact() && b && *b == x.a.shape();
    };
    if (rng_.chance(0.4) && has(fits)) {
      index = broadcast_to(mod(pick(fits).a, n + 3) - 2, x.a.shape());
    } else {
      std::vector<int64_t> v(static_cast<size_t>(x.a.size()));
      for (int64_t& i : v) i = rng_.between(-n - 2, n + 1);
      index = make_input_int(rng_.chance(0.5) ? DType::I32 : DType::I64, x.a.shape(), v);
    }
    push(gather(x.a, index, axis), x.mag, x.err, true, 0);
  }

  void scatter_step() {
    Val d = small(pick([](const Val& v) { return v.a.ndim() > 0 && v.a.dtype() != DType::Bool; }));
    const int axis = static_cast<int>(rng_.between(0, d.a.ndim() - 1));
    const int64_t n = d.a.dim(axis);
    std::vector<int64_t> idx(static_cast<size_t>(d.a.size()));
    for (int64_t& i : idx) i = rng_.between(-n - 1, n);  // some dropped
    Array index = make_input_int(DType::I64, d.a.shape(), idx);
    Val s = small(pick([&](const Val& v) {
      auto b = broadcast_shapes(v.a.shape(), d.a.shape());
      return v.a.dtype() == d.a.dtype() && b && *b == d.a.shape();
    }));
    const double k = static_cast<double>(n);  // most additions into one element
    push(scatter_add(d.a, index, broadcast_to(s.a, d.a.shape()), axis), d.mag + k * s.mag, d.err + k * s.err,
         !d.is_float(), 2 * k);
  }

  // x @ W with a fresh W: [..., c] @ [c, dims_[2]] keeps the shape canonical.
  void matmul_step() {
    Val x = small(pick([](const Val& v) { return v.a.ndim() > 0 && v.a.dtype() != DType::Bool; }));
    const int64_t c = x.a.dim(-1), m = dims_[2];
    Val w = parameter(x.is_float() ? x.a.dtype() : DType::I32, {c, m});  // not in the pool: not canonical
    const double k = static_cast<double>(c);
    push(matmul(x.a, w.a), k * x.mag * w.mag,
         k * x.err * w.mag + 2 * std::sqrt(k) * k * unit(x.a.dtype()) * x.mag * w.mag, !x.is_float(), 2);
  }

  Rng rng_;
  GenOptions options_;
  std::vector<Array> float_params_;
  std::array<int64_t, 3> dims_;
  std::vector<Val> pool_;
  std::set<uint64_t> created_;
  int ops_ = 0;
};

}  // namespace kiln::randgraph
