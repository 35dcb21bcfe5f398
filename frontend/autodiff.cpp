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

Array grad(const Array& y, const Array& x, SourceLocation loc) { return grad(y, std::vector<Array>{x}, loc)[0]; }

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

}  // namespace kiln
