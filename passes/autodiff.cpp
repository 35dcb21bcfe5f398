// Reverse and forward mode over the graph (see autodiff.hpp).
//
// Both modes first find the differentiable part of the graph: a post-order walk from the
// ys that stops at leaves and keeps the float nodes that depend on some x through
// differentiable ops, operands before users. Reverse mode then visits that list backwards,
// asking each node's rule for its operands' cotangents and adding them up (an absent
// cotangent is an empty NodeRef, never a materialised zero); forward mode visits it forwards,
// building each node's tangent from its operands'. The whole run holds the graph read lock,
// so no evaluation drops operands under the walk.
#include "passes/autodiff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "passes/derivatives.hpp"

namespace kiln {
namespace {

template <class E, class... Args>
[[noreturn]] void fail(const DiffSite& site, fmt::format_string<Args...> f, Args&&... args) {
  std::string where = site.loc ? fmt::format("{}:{}: ", site.loc.file, site.loc.line) : std::string();
  throw E(fmt::format("{}{}: {}", where, site.name, fmt::format(f, std::forward<Args>(args)...)));
}

// "sin f32[4] (built at model.cpp:12)", "param 'w' f32[3]".
std::string describe(const Node& n) {
  std::string s = std::string(op_name(n.op()));
  if (n.op() == Op::Param && !n.name().empty()) s += fmt::format(" '{}'", n.name());
  s += " " + type_str(n.type());
  if (n.loc()) s += fmt::format(" (built at {}:{})", n.loc().file, n.loc().line);
  return s;
}

// Checks a list of nodes handed in by the caller: none empty; floats when `need_float`.
void check_nodes(const DiffSite& site, const std::vector<NodeRef>& nodes, const char* what, bool need_float) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i]) fail<ValueError>(site, "{}[{}] is empty", what, i);
    if (need_float && !is_float(nodes[i]->dtype()))
      fail<DTypeError>(site, "{}[{}] is {}: only floating-point values have derivatives", what, i,
                       describe(*nodes[i]));
  }
}

// Each seed (cotangent or tangent) must have the type of the value it belongs to.
void check_pairs(const DiffSite& site, const std::vector<NodeRef>& values, const char* values_name,
                 const std::vector<NodeRef>& seeds, const char* seeds_name) {
  if (values.size() != seeds.size())
    fail<ValueError>(site, "{} {} for {} {}", seeds.size(), seeds_name, values.size(), values_name);
  for (size_t i = 0; i < values.size(); ++i) {
    const Node &v = *values[i], &s = *seeds[i];
    if (v.dtype() != s.dtype())
      fail<DTypeError>(site, "{}[{}] is {} but {}[{}] is {}: they must have the same dtype", seeds_name, i,
                       type_str(s.type()), values_name, i, type_str(v.type()));
    if (v.shape() != s.shape())
      fail<ShapeError>(site, "{}[{}] is {} but {}[{}] is {}: they must have the same shape", seeds_name, i,
                       type_str(s.type()), values_name, i, type_str(v.type()));
  }
}

// The differentiable part of the graph between xs and some roots.
struct Part {
  std::unordered_map<const Node*, size_t> x_index;  // position in xs
  std::unordered_set<const Node*> relevant;         // float, and depends on an x differentiably
  std::vector<NodeRef> order;                       // the relevant nodes, operands first
};

// Whether the walk stops at n: nothing below every x can depend on one, and a node without
// operands is a source or has been evaluated. An evaluated node above the first x has lost
// the operands that would say whether it depends on an x: a ValueError unless it is one.
bool is_leaf(const Part& p, const Node* n, uint64_t first_id, const DiffSite& site) {
  if (n->id() >= first_id && !n->operands().empty()) return false;
  if (n->evaluated() && n->id() >= first_id && op_info(n->op()).category != OpCategory::Source &&
      !p.x_index.count(n))
    fail<ValueError>(site,
                     "cannot differentiate through {}: that value was evaluated and its graph dropped, so how it "
                     "depends on the inputs is unknown. Take gradients before evaluating it, or use value_and_grad "
                     "to get the value and the gradients together",
                     describe(*n));
  return true;
}

Part find_part(const DiffSite& site, const std::vector<NodeRef>& roots, const std::vector<NodeRef>& xs) {
  Part p;
  uint64_t first_id = UINT64_MAX;
  for (size_t i = 0; i < xs.size(); ++i) {
    auto [it, fresh] = p.x_index.emplace(xs[i].get(), i);
    if (!fresh)
      fail<ValueError>(site, "xs[{}] and xs[{}] are the same node ({}); each x must be given once", it->second, i,
                       describe(*xs[i]));
    first_id = std::min(first_id, xs[i]->id());
  }
  // Post-order: a node is visited after its operands, and is relevant when it is an x or a
  // differentiable op on a relevant operand (and float).
  auto visit = [&](Node* n) {
    bool rel = p.x_index.count(n) > 0;
    if (!rel && !n->operands().empty() && ad::is_differentiable(n->op()))
      for (const NodeRef& o : n->operands()) rel |= p.relevant.count(o.get()) > 0;
    if (rel && is_float(n->dtype())) {
      p.relevant.insert(n);
      p.order.emplace_back(n);
    }
  };
  std::unordered_set<const Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack;
  for (const NodeRef& r : roots) {
    if (!seen.insert(r.get()).second) continue;
    stack.emplace_back(r.get(), 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      std::span<const NodeRef> ops = is_leaf(p, n, first_id, site) ? std::span<const NodeRef>() : n->operands();
      if (next < ops.size()) {
        Node* m = ops[next++].get();
        if (seen.insert(m).second) stack.emplace_back(m, 0);
        continue;
      }
      visit(n);
      stack.pop_back();
    }
  }
  return p;
}

// Which operands of n carry derivatives.
std::vector<bool> wanted_operands(const Part& p, const Node& n) {
  std::vector<bool> wanted;
  for (const NodeRef& o : n.operands()) wanted.push_back(p.relevant.count(o.get()) > 0);
  return wanted;
}

NodeRef zeros_like(const NodeRef& n) { return ad::GradBuilder(*n).full_like(0, n); }

}  // namespace

std::vector<NodeRef> vjp(const std::vector<NodeRef>& ys, const std::vector<NodeRef>& xs,
                         const std::vector<NodeRef>& cotangents, const DiffSite& site) {
  check_nodes(site, ys, "ys", true);
  check_nodes(site, xs, "xs", true);
  check_nodes(site, cotangents, "cotangents", false);
  check_pairs(site, ys, "ys", cotangents, "cotangents");
  GraphReadLock lock;
  Part p = find_part(site, ys, xs);
  std::unordered_map<const Node*, NodeRef> ct;
  for (size_t k = 0; k < ys.size(); ++k)
    if (p.relevant.count(ys[k].get())) ct[ys[k].get()] = ad::GradBuilder(*ys[k]).accumulate(ct[ys[k].get()], cotangents[k]);
  for (size_t i = p.order.size(); i-- > 0;) {
    const NodeRef& n = p.order[i];
    auto it = ct.find(n.get());
    if (it == ct.end() || !it->second || n->operands().empty()) continue;
    std::vector<bool> wanted = wanted_operands(p, *n);
    if (std::none_of(wanted.begin(), wanted.end(), [](bool w) { return w; })) continue;
    ad::GradBuilder g(*n);
    NodeRef c = it->second;
    if (!p.x_index.count(n.get())) ct.erase(it);  // no longer needed: let it go
    std::vector<NodeRef> outs = ad::apply_vjp(ad::derivative_rule(n->op()), {g, n, wanted}, c);
    for (size_t j = 0; j < wanted.size(); ++j) {
      if (!wanted[j] || !outs[j]) continue;
      const Node* o = n->operands()[j].get();
      KILN_CHECK(outs[j]->type() == o->type()) << "vjp of " << op_name(n->op()) << ": cotangent "
                                                << type_str(outs[j]->type()) << " for operand " << type_str(o->type());
      ct[o] = g.accumulate(ct[o], outs[j]);
    }
  }
  std::vector<NodeRef> out;
  for (const NodeRef& x : xs) {
    auto it = ct.find(x.get());
    out.push_back(it != ct.end() && it->second ? it->second : zeros_like(x));
  }
  return out;
}

std::vector<NodeRef> jvp(const std::vector<NodeRef>& ys, const std::vector<NodeRef>& xs,
                         const std::vector<NodeRef>& tangents, const DiffSite& site) {
  check_nodes(site, ys, "ys", true);
  check_nodes(site, xs, "xs", true);
  check_nodes(site, tangents, "tangents", false);
  check_pairs(site, xs, "xs", tangents, "tangents");
  GraphReadLock lock;
  Part p = find_part(site, ys, xs);
  std::unordered_map<const Node*, NodeRef> tangent;
  for (const NodeRef& n : p.order) {
    ad::GradBuilder g(*n);
    NodeRef t;
    std::vector<NodeRef> ts;
    for (const NodeRef& o : n->operands()) {
      auto it = tangent.find(o.get());
      ts.push_back(it == tangent.end() ? NodeRef() : it->second);
    }
    if (std::any_of(ts.begin(), ts.end(), [](const NodeRef& x) { return static_cast<bool>(x); })) {
      std::vector<bool> wanted;
      for (const NodeRef& x : ts) wanted.push_back(static_cast<bool>(x));
      t = ad::apply_jvp(ad::derivative_rule(n->op()), {g, n, wanted}, ts);
      KILN_CHECK(!t || t->type() == n->type()) << "jvp of " << op_name(n->op()) << ": tangent " << type_str(t->type())
                                               << " for " << type_str(n->type());
    }
    auto x = p.x_index.find(n.get());
    if (x != p.x_index.end()) t = g.accumulate(t, tangents[x->second]);
    if (t) tangent[n.get()] = std::move(t);
  }
  std::vector<NodeRef> out;
  for (const NodeRef& y : ys) {
    auto it = tangent.find(y.get());
    out.push_back(it != tangent.end() ? it->second : zeros_like(y));
  }
  return out;
}

std::vector<NodeRef> grad(const NodeRef& y, const std::vector<NodeRef>& xs, const DiffSite& site) {
  if (!y) fail<ValueError>(site, "y is empty");
  if (!is_float(y->dtype()))
    fail<DTypeError>(site, "y is {}: only floating-point values have gradients", describe(*y));
  if (y->numel() != 1)
    fail<ShapeError>(site, "y has {} elements ({}): a gradient needs a scalar (one element); use vjp with a "
                     "cotangent for other shapes", y->numel(), describe(*y));
  NodeRef ones = ad::GradBuilder(site.loc, y->attrs().device).full_like(1, y);
  return vjp({y}, xs, {ones}, site);
}

Function grad_function(const Function& f, const std::vector<std::string>& wrt) {
  std::string site_name = fmt::format("grad of @{}", f.name);
  DiffSite site{site_name, {}};
  if (f.results.size() != 1)
    fail<ValueError>(site, "the function has {} results; a gradient needs exactly one", f.results.size());
  std::vector<NodeRef> xs;
  std::string names;
  for (const Argument& a : f.args) names += (names.empty() ? "%" : ", %") + a.name;
  for (size_t i = 0; i < wrt.size(); ++i) {
    auto it = std::find_if(f.args.begin(), f.args.end(), [&](const Argument& a) { return a.name == wrt[i]; });
    if (it == f.args.end())
      fail<ValueError>(site, "no argument named '{}' (the arguments are: {})", wrt[i], names.empty() ? "none" : names);
    if (std::find(wrt.begin(), wrt.begin() + static_cast<std::ptrdiff_t>(i), wrt[i]) != wrt.begin() + static_cast<std::ptrdiff_t>(i))
      fail<ValueError>(site, "argument '{}' is named twice", wrt[i]);
    if (!is_float(it->node->dtype()))
      fail<DTypeError>(site, "argument %{} is {}: only floating-point arguments have gradients", it->name,
                       type_str(it->node->type()));
    xs.push_back(it->node);
  }
  Function g;
  g.name = f.name + "_grad";
  g.args = f.args;
  g.results = grad(f.results[0], xs, site);
  return g;
}

}  // namespace kiln
