// The user API of autodiff: Arrays in, the graph-level vjp/jvp (passes/autodiff.hpp) on
// their nodes, Arrays out. Errors name the user's call site.
#include "frontend/autodiff.hpp"

#include "frontend/build.hpp"
#include "passes/autodiff.hpp"

namespace kiln {
using namespace frontend;

namespace {

std::vector<NodeRef> nodes_of(const std::vector<Array>& arrays, std::string_view what, SourceLocation loc) {
  std::vector<NodeRef> nodes;
  for (const Array& a : arrays) nodes.push_back(node_of(a, what, loc));
  return nodes;
}

std::vector<Array> arrays_of(const std::vector<NodeRef>& nodes) {
  std::vector<Array> arrays;
  for (const NodeRef& n : nodes) arrays.emplace_back(n);
  return arrays;
}

}  // namespace

std::vector<Array> grad(const Array& y, const std::vector<Array>& xs, SourceLocation loc) {
  const NodeRef& yn = node_of(y, "grad", loc);
  return arrays_of(grad(yn, nodes_of(xs, "grad", loc), DiffSite{"grad", to_loc(loc)}));
}


std::vector<Array> vjp(const std::vector<Array>& ys, const std::vector<Array>& xs,
                       const std::vector<Array>& cotangents, SourceLocation loc) {
  return arrays_of(vjp(nodes_of(ys, "vjp", loc), nodes_of(xs, "vjp", loc), nodes_of(cotangents, "vjp", loc),
                       DiffSite{"vjp", to_loc(loc)}));
}

std::vector<Array> jvp(const std::vector<Array>& ys, const std::vector<Array>& xs, const std::vector<Array>& tangents,
                       SourceLocation loc) {
  return arrays_of(jvp(nodes_of(ys, "jvp", loc), nodes_of(xs, "jvp", loc), nodes_of(tangents, "jvp", loc),
                       DiffSite{"jvp", to_loc(loc)}));
}

ValueAndGrad value_and_grad(const Array& y, const std::vector<Array>& xs, SourceLocation loc) {
  const NodeRef& yn = node_of(y, "value_and_grad", loc);
  return {y, arrays_of(grad(yn, nodes_of(xs, "value_and_grad", loc), DiffSite{"value_and_grad", to_loc(loc)}))};
}

std::function<ValueAndGrad(const std::vector<Array>&)> value_and_grad(ScalarFunction fn, SourceLocation loc) {
  if (!fn) fail<ValueError>(loc, "value_and_grad", "the function is empty");
  return [fn = std::move(fn), loc](const std::vector<Array>& xs) { return value_and_grad(fn(xs), xs, loc); };
}

namespace {

// The arguments `argnums` picks from `xs` (negative numbers count from the end).
std::vector<Array> picked(const std::vector<Array>& xs, const std::vector<int>& argnums, std::string_view what,
                          SourceLocation loc) {
  const int n = static_cast<int>(xs.size());
  std::vector<Array> out;
  std::vector<bool> seen(xs.size(), false);
  for (size_t i = 0; i < argnums.size(); ++i) {
    const int a = argnums[i] < 0 ? argnums[i] + n : argnums[i];
    if (a < 0 || a >= n)
      fail<ValueError>(loc, what, "argnums[{}] = {} is out of range for {} argument{}", i, argnums[i], n,
                       n == 1 ? "" : "s");
    if (seen[static_cast<size_t>(a)])
      fail<ValueError>(loc, what, "argnums[{}] = {} names argument {} a second time", i, argnums[i], a);
    seen[static_cast<size_t>(a)] = true;
    out.push_back(xs[static_cast<size_t>(a)]);
  }
  return out;
}

void check_function(const ScalarFunction& fn, const std::vector<int>* argnums, std::string_view what,
                    SourceLocation loc) {
  if (!fn) fail<ValueError>(loc, what, "the function is empty");
  if (argnums && argnums->empty()) fail<ValueError>(loc, what, "argnums is empty");
}

}  // namespace

std::function<ValueAndGrad(const std::vector<Array>&)> value_and_grad(ScalarFunction fn, std::vector<int> argnums,
                                                                        SourceLocation loc) {
  check_function(fn, &argnums, "value_and_grad", loc);
  return [fn = std::move(fn), argnums = std::move(argnums), loc](const std::vector<Array>& xs) {
    std::vector<Array> wrt = picked(xs, argnums, "value_and_grad", loc);
    return value_and_grad(fn(xs), wrt, loc);
  };
}

std::function<std::vector<Array>(const std::vector<Array>&)> grad(ScalarFunction fn, SourceLocation loc) {
  check_function(fn, nullptr, "grad", loc);
  return [fn = std::move(fn), loc](const std::vector<Array>& xs) { return grad(fn(xs), xs, loc); };
}

std::function<std::vector<Array>(const std::vector<Array>&)> grad(ScalarFunction fn, std::vector<int> argnums,
                                                                  SourceLocation loc) {
  check_function(fn, &argnums, "grad", loc);
  return [fn = std::move(fn), argnums = std::move(argnums), loc](const std::vector<Array>& xs) {
    std::vector<Array> wrt = picked(xs, argnums, "grad", loc);
    return grad(fn(xs), wrt, loc);
  };
}

}  // namespace kiln
