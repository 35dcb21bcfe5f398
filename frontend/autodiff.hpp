// Derivatives of lazy arrays: grad, vjp, jvp, value_and_grad, stop_gradient.
//
// Every function here builds the derivative as new lazy Arrays (graph nodes) and computes
// nothing; evaluate them like any other array, together with the value when both are wanted.
// Derivatives are arrays like any other, so they can be differentiated again (grad of grad,
// Hessian-vector products as jvp of grad). Only floating-point arrays have derivatives;
// integer and bool arrays, and ops that are piecewise constant (floor, round, sign,
// comparisons, argmax, ...), pass none. stop_gradient(x) (ops.hpp) is x's value with no
// derivative at all.
//
// Ties and NaN: maximum(a, b) / minimum(a, b) give the whole derivative to a when a == b;
// clamp(x, lo, hi) to x when it equals a bound; max / min over axes to the first extreme
// element in row-major order (the one argmax / argmin returns). Where a NaN wins, its own
// operand gets the derivative (the first NaN for max / min over axes). |x| has slope 0 at 0;
// pow(a, b) has d/da = 0 where b == 0 and d/db = 0 where a == 0.
//
// where(c, a, b) differentiates both branches and routes by c, so a branch that has an
// infinite or NaN slope where it is not selected still makes the gradient NaN there (0 * inf):
// the gradient of where(x > 0, sqrt(x), 0) is NaN at x < 0. Keep the unselected inputs
// harmless instead: where(x > 0, sqrt(where(x > 0, x, 1)), 0).
//
// Evaluated arrays: evaluating an array keeps its value and forgets how it was computed. An
// array evaluated before the gradient is built is a constant to it when it was created
// before the xs (it cannot depend on them); one created after some x, and not itself an x,
// makes grad/vjp/jvp throw a ValueError naming it, because its dependence on the xs is lost.
// Build the derivatives first and evaluate value and derivatives together (value_and_grad).
#pragma once

#include <concepts>
#include <functional>
#include <vector>

#include "frontend/array.hpp"

namespace kiln {

// The gradient of y w.r.t. each x: d y / d x, with x's shape and dtype. y must be a float
// array of one element (any shape: [], [1], [1,1]); xs float arrays, each given once. An x
// y does not depend on gets zeros. Throws ShapeError, DTypeError or ValueError.
std::vector<Array> grad(const Array& y, const std::vector<Array>& xs, KILN_HERE);
// One x: its gradient alone. (A template so that a braced list, grad(y, {x}), is a list of
// xs and returns a vector, as any list does.)
template <class X>
  requires std::same_as<X, Array>
Array grad(const Array& y, const X& x, KILN_HERE) {
  return grad(y, std::vector<Array>{x}, loc)[0];
}

// Reverse mode (vector-Jacobian product): for each x, the sum over k of
// cotangents[k] . d ys[k] / d x. cotangents[k] has ys[k]'s shape and dtype.
std::vector<Array> vjp(const std::vector<Array>& ys, const std::vector<Array>& xs,
                       const std::vector<Array>& cotangents, KILN_HERE);

// Forward mode (Jacobian-vector product): for each y, the sum over i of
// d y / d xs[i] . tangents[i]. tangents[i] has xs[i]'s shape and dtype. jvp is the exact
// transpose of vjp: <jvp(t), c> == <t, vjp(c)>.
std::vector<Array> jvp(const std::vector<Array>& ys, const std::vector<Array>& xs,
                       const std::vector<Array>& tangents, KILN_HERE);

// y and its gradients, all lazy: evaluate them together (eval({r.value, r.grads...})) to get
// both from one evaluation.
struct ValueAndGrad {
  Array value;
  std::vector<Array> grads;
};
ValueAndGrad value_and_grad(const Array& y, const std::vector<Array>& xs, KILN_HERE);

// The function form, as JAX's: value_and_grad(fn)(xs) is fn(xs) and its gradient w.r.t.
// each of xs. fn maps the arrays to a float array of one element.
using ScalarFunction = std::function<Array(const std::vector<Array>&)>;
std::function<ValueAndGrad(const std::vector<Array>&)> value_and_grad(ScalarFunction fn, KILN_HERE);
// The same with respect to the arguments numbered in `argnums` only (JAX's argnums; a
// negative number counts from the end): grads[i] is the gradient w.r.t. xs[argnums[i]], and
// the other arguments are constants. An empty list is a ValueError now; a number out of range
// for the call's arguments, or one argument named twice, is a ValueError when called.
std::function<ValueAndGrad(const std::vector<Array>&)> value_and_grad(ScalarFunction fn, std::vector<int> argnums,
                                                                        KILN_HERE);
// The gradient alone, in the function form: grad(fn)(xs) w.r.t. every argument,
// grad(fn, argnums)(xs) w.r.t. those numbered.
std::function<std::vector<Array>(const std::vector<Array>&)> grad(ScalarFunction fn, KILN_HERE);
std::function<std::vector<Array>(const std::vector<Array>&)> grad(ScalarFunction fn, std::vector<int> argnums,
                                                                  KILN_HERE);

}  // namespace kiln
