// simplify (see simplify.hpp): the rules indexed by the op they start from, and a local
// fixed point at each node.
#include "passes/simplify.hpp"

#include <array>
#include <vector>

#include "passes/fold.hpp"
#include "passes/rewrite.hpp"
#include "passes/simplify_rules.hpp"

namespace kiln {
namespace {

// More steps than any chain of rules needs at one node: reaching it means two rules undo
// each other, a bug in the table.
constexpr int kMaxStepsPerNode = 64;

using RulesByOp = std::array<std::vector<const SimplifyRule*>, kNumOps>;

const RulesByOp& rules_by_op() {
  static const RulesByOp index = [] {
    RulesByOp by_op;
    for (const SimplifyRule& r : simplify_rules()) by_op[static_cast<size_t>(r.pattern.op)].push_back(&r);
    return by_op;
  }();
  return index;
}

class Simplifier {
 public:
  Simplifier()
      : builder_([this](Op op, std::vector<NodeRef> operands, Attrs attrs, const TensorType* given, SourceLoc loc) {
          NodeRef n = make_node(op, std::move(operands), std::move(attrs), given, loc);
          return settle(std::move(n));
        }) {}

  // The folded constant n is, or the first rule's replacement for n (operands
  // `operands`), or null.
  NodeRef first_rewrite(const Node& n, std::span<const NodeRef> operands) const {
    if (NodeRef folded = fold_node(n, operands)) return folded;
    for (const SimplifyRule* r : rules_by_op()[static_cast<size_t>(n.op())])
      if (NodeRef out = apply_rule(*r, n, operands, builder_)) return out;
    return {};
  }

  // n after rewriting it until no rule applies.
  NodeRef settle(NodeRef n) const {
    for (int step = 0;; ++step) {
      KILN_CHECK(step < kMaxStepsPerNode)
          << "simplify: rules keep rewriting " << op_name(n->op()) << " " << type_str(n->type());
      NodeRef next = first_rewrite(*n, n->operands());
      if (!next) return n;
      n = std::move(next);
    }
  }

 private:
  NodeBuilder builder_;
};

}  // namespace

Function simplify(const Function& f) {
  Simplifier s;
  return rewrite(f, [&](const Node& n, std::span<const NodeRef> operands) -> NodeRef {
    NodeRef out = s.first_rewrite(n, operands);
    return out ? s.settle(std::move(out)) : NodeRef();
  });
}

}  // namespace kiln
