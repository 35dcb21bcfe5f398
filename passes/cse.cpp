// cse (see cse.hpp): each node gets a key that is the same for every way of writing its
// value (operands of a commutative op as an unordered pair, mirrored comparisons as one);
// a node whose key was seen becomes the node seen first.
#include "passes/cse.hpp"

#include <functional>
#include <optional>
#include <unordered_map>

#include "passes/pattern.hpp"
#include "passes/rewrite.hpp"

namespace kiln {
namespace {

struct Key {
  Op op;
  const Node* a;
  const Node* b;
  const Node* c;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = std::hash<const void*>()(k.a) * 31 + std::hash<const void*>()(k.b);
    return (h * 31 + std::hash<const void*>()(k.c)) * 131 + static_cast<size_t>(k.op);
  }
};

// The operands {a, b} as an unordered pair. Ordering by address only names the pair; which
// node represents it is decided by the walk order.
std::pair<const Node*, const Node*> unordered(const Node* a, const Node* b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

std::optional<Key> key_of(Op op, std::span<const NodeRef> operands) {
  if (op == Op::Fma) {  // a * b + c = b * a + c (the exact product is the same)
    auto [a, b] = unordered(operands[0].get(), operands[1].get());
    return Key{op, a, b, operands[2].get()};
  }
  if (operands.size() != 2) return std::nullopt;
  const Node *a = operands[0].get(), *b = operands[1].get();
  if (is_commutative(op)) {
    auto [lo, hi] = unordered(a, b);
    return Key{op, lo, hi, nullptr};
  }
  // b > a is a < b and b >= a is a <= b (both false when either is NaN).
  if (op == Op::Gt) return Key{Op::Lt, b, a, nullptr};
  if (op == Op::Ge) return Key{Op::Le, b, a, nullptr};
  if (op == Op::Lt || op == Op::Le) return Key{op, a, b, nullptr};
  return std::nullopt;
}

}  // namespace

Function cse(const Function& f) {
  std::unordered_map<Key, NodeRef, KeyHash> first;
  return rewrite(f, [&](const Node& n, std::span<const NodeRef> operands) -> NodeRef {
    if (n.evaluated()) return {};
    std::optional<Key> key = key_of(n.op(), operands);
    if (!key) return {};
    auto [it, added] = first.try_emplace(*key);
    if (added)
      it->second = operands.data() == n.operands().data()
                       ? NodeRef(const_cast<Node*>(&n))
                       : rebuild(n, std::vector<NodeRef>(operands.begin(), operands.end()));
    return it->second;
  });
}

}  // namespace kiln
