// reuse_phase_values (reuse_values.hpp): value numbering across two phases finds the same
// instruction in both; the later phase's copy becomes a load, and the instructions only it
// needed are dropped.
#include "passes/reuse_values.hpp"

#include <bit>
#include <map>
#include <tuple>
#include <unordered_map>

namespace kiln {
namespace {

using kernel::Inst;
using kernel::Phase;

// Value numbers shared by the phases of one kernel: two instructions with the same number
// compute the same value at the same (outer, inner) point.
class ValueNumbers {
 public:
  std::vector<int> number(const Phase& p) {
    std::vector<int> vn(p.body.size());
    for (size_t i = 0; i < p.body.size(); ++i) {
      const Inst& in = p.body[i];
      Key key{static_cast<int>(in.kind),
              static_cast<int>(in.op),
              static_cast<int>(in.type),
              in.imm,
              in.value.is_float,
              std::bit_cast<uint64_t>(in.value.f),
              in.value.i,
              {}};
      for (int32_t a : in.args) std::get<7>(key).push_back(vn[static_cast<size_t>(a)]);
      auto [it, added] = table_.emplace(std::move(key), static_cast<int>(table_.size()));
      vn[i] = it->second;
    }
    return vn;
  }

 private:
  using Key = std::tuple<int, int, int, int64_t, bool, uint64_t, int64_t, std::vector<int>>;
  std::map<Key, int> table_;
};

// Float math worth a load to avoid (the scheduler's own measure of cost, scheduler.hpp).
bool costly(const Inst& in) {
  return in.kind == Inst::Kind::Op && (op_info(in.op).accepts == Accepts::Float || in.op == Op::Pow);
}

// Drops the instructions of `p` that no store or reduction needs, renumbering the rest.
void drop_dead(Phase& p) {
  const size_t n = p.body.size();
  std::vector<bool> live(n, false);
  for (const kernel::Store& s : p.stores) live[static_cast<size_t>(s.index)] = live[static_cast<size_t>(s.value)] = true;
  for (const kernel::Reduction& r : p.reductions) live[static_cast<size_t>(r.value)] = true;
  for (size_t i = n; i-- > 0;)
    if (live[i])
      for (int32_t a : p.body[i].args) live[static_cast<size_t>(a)] = true;
  std::vector<int32_t> renumbered(n, -1);
  std::vector<Inst> body;
  for (size_t i = 0; i < n; ++i) {
    if (!live[i]) continue;
    Inst in = p.body[i];
    for (int32_t& a : in.args) a = renumbered[static_cast<size_t>(a)];
    renumbered[i] = static_cast<int32_t>(body.size());
    body.push_back(std::move(in));
  }
  p.body = std::move(body);
  for (kernel::Store& s : p.stores) {
    s.index = renumbered[static_cast<size_t>(s.index)];
    s.value = renumbered[static_cast<size_t>(s.value)];
  }
  for (kernel::Reduction& r : p.reductions) r.value = renumbered[static_cast<size_t>(r.value)];
}

// Whether instruction `i` of `p` is f(outer, ...) + r: one element per inner index, so that
// what an earlier phase stores at r is what this one reads back at r (an index that does not
// grow with r would be overwritten along the row).
bool one_per_inner_index(const Phase& p, int32_t i) {
  std::vector<int8_t> uses_r(p.body.size(), 0);
  for (size_t j = 0; j < p.body.size(); ++j) {
    const Inst& in = p.body[j];
    uses_r[j] = in.kind == Inst::Kind::InnerIndex;
    for (int32_t a : in.args) uses_r[j] = uses_r[j] || uses_r[static_cast<size_t>(a)];
  }
  for (;;) {
    const Inst& in = p.body[static_cast<size_t>(i)];
    if (in.kind == Inst::Kind::InnerIndex) return true;
    if (in.kind != Inst::Kind::Op || in.op != Op::Add || in.type != DType::I64) return false;
    const bool left = uses_r[static_cast<size_t>(in.args[0])], right = uses_r[static_cast<size_t>(in.args[1])];
    if (left == right) return false;
    i = in.args[left ? 0 : 1];
  }
}

bool writes(const Phase& p, int32_t buffer) {
  for (const kernel::Store& s : p.stores)
    if (s.buffer == buffer) return true;
  return false;
}

bool reads(const Phase& p, int32_t buffer) {
  for (const Inst& in : p.body)
    if (in.kind == Inst::Kind::Load && in.imm == buffer) return true;
  return false;
}

// One rewrite in store phase `s` (index into k.phases), if one applies.
bool reuse_one(kernel::Kernel& k, size_t s) {
  ValueNumbers numbers;
  std::vector<std::vector<int>> vn;
  std::vector<std::unordered_map<int, int32_t>> first;  // per phase: value number -> first instruction
  for (const Phase& p : k.phases) {
    vn.push_back(numbers.number(p));
    first.emplace_back();
    for (size_t i = 0; i < p.body.size(); ++i) first.back().emplace(vn.back()[i], static_cast<int32_t>(i));
  }
  Phase& sp = k.phases[s];
  // The latest costly value first: its cone holds the earlier ones.
  for (size_t c = sp.body.size(); c-- > 0;) {
    if (!costly(sp.body[c])) continue;
    for (size_t r = s; r-- > 0;) {
      Phase& rp = k.phases[r];
      if (rp.inner != sp.inner) continue;
      const std::unordered_map<int, int32_t>& in_r = first[r];
      auto value = in_r.find(vn[s][c]);
      if (value == in_r.end()) continue;
      for (const kernel::Store& st : sp.stores) {
        if (k.buffers[static_cast<size_t>(st.buffer)].dtype != sp.body[c].type) continue;
        if (st.value == static_cast<int32_t>(c) || st.index >= static_cast<int32_t>(c)) continue;
        if (!one_per_inner_index(sp, st.index)) continue;
        auto index = in_r.find(vn[s][static_cast<size_t>(st.index)]);
        if (index == in_r.end()) continue;
        if (reads(sp, st.buffer)) continue;  // it carries a value already
        int stores_to_b = 0;
        for (const kernel::Store& other : sp.stores) stores_to_b += other.buffer == st.buffer;
        if (stores_to_b != 1) continue;  // another store could overwrite B[i] before it is read
        bool clobbered = false;
        for (size_t q = r; q < s; ++q) clobbered = clobbered || writes(k.phases[q], st.buffer);
        if (clobbered) continue;
        rp.stores.push_back({st.buffer, index->second, value->second});
        Inst load;
        load.kind = Inst::Kind::Load;
        load.type = sp.body[c].type;
        load.imm = st.buffer;
        load.args = {st.index};
        sp.body[c] = std::move(load);
        drop_dead(sp);
        return true;
      }
    }
  }
  return false;
}

}  // namespace

int reuse_phase_values(kernel::Kernel& k) {
  if (k.kind != kernel::KernelKind::Rows) return 0;
  int reused = 0;
  for (size_t s = 1; s < k.phases.size(); ++s)
    if (k.phases[s].kind == Phase::Kind::Store)
      while (reuse_one(k, s)) ++reused;
  return reused;
}

}  // namespace kiln
