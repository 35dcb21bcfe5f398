// Symbolic differentiation of graph nodes: reverse mode (vjp), forward mode (jvp), and the
// gradient of a Function.
//
// Both modes build ordinary graph nodes from the derivative rules (derivatives.hpp), so a
// derivative is simplified, fused and compiled like any other value and can be
// differentiated again (Hessian-vector products are a jvp of a vjp, or a vjp of a vjp).
// Nothing is evaluated. Only float values carry derivatives: integer and bool values (and
// the ops declared non-differentiable) pass none.
//
// The walks stop at leaves: params, literals, constants, evaluated nodes, and any node
// created before all of xs (node ids grow in creation order, so such a node cannot depend
// on them). An evaluated node keeps its value but drops its operands, so a gradient through
// one would silently miss its dependence on xs: an evaluated non-source node created after
// some x, and not itself one of xs, is a ValueError that names it.
//
// xs may be intermediate values, not just inputs. vjp gives each x the total derivative of
// the ys through x (as PyTorch's .grad of a non-leaf); jvp perturbs each x by its tangent on
// top of what it receives from the xs it depends on, which makes jvp and vjp exact transposes
// of each other: <jvp(t), c> = <t, vjp(c)>.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/function.hpp"

namespace kiln {

// Who asks, for error messages: `file:line: name: ...` (the location may be empty).
struct DiffSite {
  std::string_view name = "vjp";
  SourceLoc loc;
};

// Reverse mode: sum over k of cotangents[k]^T dys[k]/dx, for each x. ys and cotangents pair
// up (same dtype and shape); ys and xs must be float. A y that does not depend on x gives
// zeros (a broadcast constant 0) of x's shape. Throws ShapeError / DTypeError / ValueError.
std::vector<NodeRef> vjp(const std::vector<NodeRef>& ys, const std::vector<NodeRef>& xs,
                         const std::vector<NodeRef>& cotangents, const DiffSite& site = {});

// Forward mode: sum over i of dy/dxs[i] tangents[i], for each y. xs and tangents pair up
// (same dtype and shape); ys and xs must be float. A y that depends on no x gets zeros.
std::vector<NodeRef> jvp(const std::vector<NodeRef>& ys, const std::vector<NodeRef>& xs,
                         const std::vector<NodeRef>& tangents, const DiffSite& site = {"jvp", {}});

// The gradient of `y` (float, one element) w.r.t. each x: vjp with a cotangent of ones.
std::vector<NodeRef> grad(const NodeRef& y, const std::vector<NodeRef>& xs, const DiffSite& site = {"grad", {}});

// The function computing the gradient of `f` w.r.t. the arguments named `wrt`, in that order.
// It takes f's arguments and is named `<f.name>_grad`. f must have one result, float with
// one element. Throws ValueError for an unknown or repeated name (listing f's arguments).
Function grad_function(const Function& f, const std::vector<std::string>& wrt);

}  // namespace kiln
