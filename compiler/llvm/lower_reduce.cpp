// Reduce phases: accumulation into a fixed number of partial accumulators, in a fixed order.
//
// Each reduction keeps kLanes partial accumulators ("lanes", one LLVM vector, a register
// value after SROA): element r of the inner range always goes to lane r % kLanes, and each
// lane sees its elements in increasing r. The inner range is walked in groups of kGroup
// elements (a multiple of kLanes). For a full group, a lane loop of constant trip count
// kGroup evaluates the phase body and writes each reduction's value (widened: floats to f64,
// bool to i8) into a small stack array; the loop vectoriser turns that loop into straight-line
// vector code (libmvec calls included) and SROA keeps the array in registers, so a group
// costs kGroup / kLanes vector combines per reduction, unmasked. The last n % kGroup elements
// go through the same lane loop with a run-time trip count and masked combines. Then the
// lanes are combined by a fixed pairwise tree (lane j with lane j + w, w = kLanes/2 ... 1).
// The order depends only on the inner extent, never on chunking or threads, and no fast-math
// flag is needed.
//
// A Reduce phase's stores happen in the lane loop, at each element, as in a Store phase.
//
// argmax/argmin keep, per lane, the value and index of the lane's first extreme (NaN counts as
// the extreme, the first NaN wins); combining two lanes keeps the better value, and on a tie
// the smaller index, which is the interpreter's first extreme of the whole row.
#include <limits>

#include "compiler/llvm/lowering.hpp"

namespace kiln::llvm_backend::detail {

using llvm::Value;

namespace {

constexpr unsigned kLanes = 16;  // a power of two
// Elements per group: several lane vectors, so that the lanes, which a libmvec call in the
// body clobbers (every vector register is caller-saved), are spilled once per group rather
// than once per call.
constexpr unsigned kGroup = 4 * kLanes;

struct Accumulator {
  const kernel::Reduction* red = nullptr;
  DType vt = DType::F32;        // the reduced value's dtype
  llvm::Type* elem = nullptr;   // lane element type: see lane_type
  llvm::AllocaInst* group = nullptr;  // [kGroup x elem]: the values of one full group
  llvm::AllocaInst* tail = nullptr;   // [kGroup x elem]: the values of the last, partial group
  llvm::AllocaInst* lanes = nullptr;  // <kLanes x elem>
  llvm::AllocaInst* index = nullptr;  // <kLanes x i64>, argmax/argmin; -1: lane has seen nothing
};

bool is_arg(Op op) { return op == Op::ArgMax || op == Op::ArgMin; }

// The lane element type of a reduction of values of dtype `vt` (register type `reg`): f64 for
// float sums and products (the accumulation rule of kernel.hpp), the register type for
// max/min/argmax/argmin (they select values, exactly, so f32 lanes give the f64 result at
// twice the lanes per register), i8 for bool, the integer type itself otherwise.
llvm::Type* lane_type(Op reduce_op, DType vt, llvm::Type* reg) {
  if (vt == DType::Bool) return llvm::Type::getInt8Ty(reg->getContext());
  if (is_float(vt) && (reduce_op == Op::ReduceSum || reduce_op == Op::ReduceProd)) return llvm::Type::getDoubleTy(reg->getContext());
  return reg;
}

// Loop metadata for the lane loop of full groups: not unrolled before vectorisation (the
// full unroller would otherwise turn its kGroup iterations into scalar copies that only the
// SLP vectoriser could recombine); the vectorised loop may be fully unrolled.
llvm::MDNode* lane_loop_metadata(llvm::LLVMContext& ctx) {
  auto property = [&](const char* name) { return llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, name)}); };
  llvm::Metadata* followup[] = {llvm::MDString::get(ctx, "llvm.loop.vectorize.followup_vectorized"),
                                property("llvm.loop.isvectorized"), property("llvm.loop.unroll.full")};
  llvm::TempMDTuple self = llvm::MDNode::getTemporary(ctx, {});
  llvm::MDNode* id = llvm::MDNode::getDistinct(ctx, {self.get(), property("llvm.loop.unroll.disable"), llvm::MDNode::get(ctx, followup)});
  id->replaceOperandWith(0, id);
  return id;
}

class ReduceEmitter {
 public:
  explicit ReduceEmitter(llvm::IRBuilder<>& b) : b_(b) {}

  // The value every lane starts from (the op's identity; anything for argmax/argmin).
  llvm::Constant* identity(const Accumulator& a) {
    llvm::Type* t = a.elem;
    const bool fl = is_float(a.vt), sgn = is_signed(a.vt);
    const double inf = std::numeric_limits<double>::infinity();
    switch (a.red->reduce_op) {
      case Op::ReduceSum: return fl ? llvm::ConstantFP::get(t, -0.0) : llvm::ConstantInt::get(t, 0);  // -0.0: exact identity
      case Op::ReduceProd: return fl ? llvm::ConstantFP::get(t, 1.0) : llvm::ConstantInt::get(t, 1);
      case Op::ReduceMax:
        if (fl) return llvm::ConstantFP::get(t, -inf);
        return llvm::ConstantInt::get(t, sgn ? llvm::APInt::getSignedMinValue(t->getIntegerBitWidth())
                                             : llvm::APInt::getMinValue(t->getIntegerBitWidth()));
      case Op::ReduceMin:
        if (fl) return llvm::ConstantFP::get(t, inf);
        if (a.vt == DType::Bool) return llvm::ConstantInt::get(t, 1);
        return llvm::ConstantInt::get(t, sgn ? llvm::APInt::getSignedMaxValue(t->getIntegerBitWidth())
                                             : llvm::APInt::getMaxValue(t->getIntegerBitWidth()));
      case Op::ReduceAny: return llvm::ConstantInt::get(t, 0);
      case Op::ReduceAll: return llvm::ConstantInt::get(t, 1);
      default: return llvm::Constant::getNullValue(t);  // argmax/argmin: masked by index -1
    }
  }

  // The op applied to two vectors of lanes (not for argmax/argmin).
  Value* combine(const Accumulator& a, Value* x, Value* y) {
    const bool fl = is_float(a.vt), sgn = is_signed(a.vt);
    switch (a.red->reduce_op) {
      case Op::ReduceSum: return fl ? b_.CreateFAdd(x, y) : b_.CreateAdd(x, y);
      case Op::ReduceProd: return fl ? b_.CreateFMul(x, y) : b_.CreateMul(x, y);
      case Op::ReduceMax:
        if (fl) return float_min_max(b_, true, x, y);
        return b_.CreateBinaryIntrinsic(sgn ? llvm::Intrinsic::smax : llvm::Intrinsic::umax, x, y);
      case Op::ReduceMin:
        if (fl) return float_min_max(b_, false, x, y);
        return b_.CreateBinaryIntrinsic(sgn ? llvm::Intrinsic::smin : llvm::Intrinsic::umin, x, y);
      case Op::ReduceAny: return b_.CreateOr(x, y);
      case Op::ReduceAll: return b_.CreateAnd(x, y);
      default: KILN_CHECK(false) << "LLVM backend: " << op_name(a.red->reduce_op) << " is not a plain reduction";
    }
    return nullptr;
  }

  // Whether value v beats the current best (strictly: ties keep the earlier element).
  Value* beats(const Accumulator& a, Value* v, Value* best) {
    const bool max = a.red->reduce_op == Op::ArgMax;
    if (is_float(a.vt)) {
      Value* cmp = max ? b_.CreateFCmpOGT(v, best) : b_.CreateFCmpOLT(v, best);
      return b_.CreateAnd(b_.CreateFCmpORD(best, best), b_.CreateOr(b_.CreateFCmpUNO(v, v), cmp));
    }
    if (is_signed(a.vt)) return max ? b_.CreateICmpSGT(v, best) : b_.CreateICmpSLT(v, best);
    return max ? b_.CreateICmpUGT(v, best) : b_.CreateICmpULT(v, best);
  }

  Value* ties(const Accumulator& a, Value* x, Value* y) {
    if (!is_float(a.vt)) return b_.CreateICmpEQ(x, y);
    return b_.CreateOr(b_.CreateFCmpOEQ(x, y), b_.CreateAnd(b_.CreateFCmpUNO(x, x), b_.CreateFCmpUNO(y, y)));
  }

 private:
  llvm::IRBuilder<>& b_;
};

}  // namespace

void KernelLowering::lower_reduce_phase(size_t p, Value* o) {
  const kernel::Phase& phase = k_.phases[p];
  ReduceEmitter re(b_);
  llvm::Type* i64 = b_.getInt64Ty();
  auto* index_vec = llvm::FixedVectorType::get(i64, kLanes);
  std::vector<llvm::Constant*> iota_elems;
  for (unsigned l = 0; l < kLanes; ++l) iota_elems.push_back(b_.getInt64(l));
  llvm::Constant* iota = llvm::ConstantVector::get(iota_elems);

  std::vector<Accumulator> accs;
  for (const kernel::Reduction& red : phase.reductions) {
    Accumulator a;
    a.red = &red;
    a.vt = phase.body.at(red.value).type;
    a.elem = lane_type(red.reduce_op, a.vt, s_.reg_type(a.vt));
    a.group = entry_alloca(llvm::ArrayType::get(a.elem, kGroup), "group");
    a.tail = entry_alloca(llvm::ArrayType::get(a.elem, kGroup), "tail");
    a.lanes = entry_alloca(llvm::FixedVectorType::get(a.elem, kLanes), "lanes");
    b_.CreateStore(llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(kLanes), re.identity(a)), a.lanes);
    if (is_arg(red.reduce_op)) {
      a.index = entry_alloca(index_vec, "lane.index");
      b_.CreateStore(llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(kLanes), b_.getInt64(-1)), a.index);
    }
    accs.push_back(a);
  }
  Value* n = inner_[p];

  // Evaluates the body for r = base + l, l in [0, count), into each accumulator's array.
  auto fill = [&](Value* base, Value* count, llvm::AllocaInst* Accumulator::*array) {
    return counted_loop(b_.getInt64(0), count, 1, "lane", [&](Value* l) {
      std::vector<Value*> v = emit_body(p, o, b_.CreateAdd(base, l));
      emit_stores(p, v);
      for (const Accumulator& a : accs) {
        Value* x = v.at(a.red->value);
        if (is_float(a.vt))
          x = x->getType() == a.elem ? x : b_.CreateFPExt(x, a.elem);
        else if (a.vt == DType::Bool)
          x = b_.CreateZExt(x, b_.getInt8Ty());
        llvm::AllocaInst* arr = a.*array;
        b_.CreateStore(x, b_.CreateInBoundsGEP(arr->getAllocatedType(), arr, {b_.getInt64(0), l}));
      }
    });
  };
  // Combines the values of one group (elements base + j, j in [0, kGroup)) into the lanes,
  // kLanes at a time; with `count`, elements j >= count leave their lanes as they are.
  auto fold = [&](Value* base, llvm::AllocaInst* Accumulator::*array, Value* count) {
    for (unsigned c = 0; c < kGroup; c += kLanes) {
      Value* valid = nullptr;
      if (count != nullptr) valid = b_.CreateICmpSLT(iota, b_.CreateVectorSplat(kLanes, b_.CreateSub(count, b_.getInt64(c))));
      for (const Accumulator& a : accs) {
        auto* vt = llvm::cast<llvm::FixedVectorType>(a.lanes->getAllocatedType());
        llvm::AllocaInst* arr = a.*array;
        Value* x = b_.CreateAlignedLoad(vt, b_.CreateConstInBoundsGEP2_64(arr->getAllocatedType(), arr, 0, c),
                                        llvm::Align(a.elem->getScalarSizeInBits() / 8));
        Value* cur = b_.CreateLoad(vt, a.lanes);
        if (!is_arg(a.red->reduce_op)) {
          Value* next = re.combine(a, cur, x);
          b_.CreateStore(valid ? b_.CreateSelect(valid, next, cur) : next, a.lanes);
          continue;
        }
        Value* cur_index = b_.CreateLoad(index_vec, a.index);
        Value* empty = b_.CreateICmpSLT(cur_index, llvm::Constant::getNullValue(index_vec));
        Value* take = b_.CreateOr(empty, re.beats(a, x, cur));
        if (valid) take = b_.CreateAnd(valid, take);
        b_.CreateStore(b_.CreateSelect(take, x, cur), a.lanes);
        Value* r = b_.CreateAdd(b_.CreateVectorSplat(kLanes, b_.CreateAdd(base, b_.getInt64(c))), iota);
        b_.CreateStore(b_.CreateSelect(take, r, cur_index), a.index);
      }
    }
  };

  // Full groups. The lane loop must reach the loop vectoriser whole (not fully unrolled into
  // kGroup scalar copies first); once vectorised it may be unrolled away.
  Value* full = b_.CreateAnd(n, b_.getInt64(-static_cast<int64_t>(kGroup)));  // n >= 0
  counted_loop(b_.getInt64(0), full, kGroup, "group", [&](Value* g) {
    llvm::BranchInst* latch = fill(g, b_.getInt64(kGroup), &Accumulator::group);
    latch->setMetadata(llvm::LLVMContext::MD_loop, lane_loop_metadata(ctx_));
    fold(g, &Accumulator::group, nullptr);
  });
  // The last n % kGroup elements.
  Value* rest = b_.CreateSub(n, full);
  fill(full, rest, &Accumulator::tail);
  fold(full, &Accumulator::tail, rest);

  // Combine the lanes: a fixed pairwise tree.
  for (const Accumulator& a : accs) {
    Value* v = b_.CreateLoad(a.lanes->getAllocatedType(), a.lanes);
    Value* idx = a.index ? b_.CreateLoad(index_vec, a.index) : nullptr;
    for (unsigned w = kLanes / 2; w >= 1; w /= 2) {
      std::vector<int> lo_mask, hi_mask;
      for (unsigned l = 0; l < w; ++l) {
        lo_mask.push_back(static_cast<int>(l));
        hi_mask.push_back(static_cast<int>(l + w));
      }
      Value* lo = b_.CreateShuffleVector(v, lo_mask);
      Value* hi = b_.CreateShuffleVector(v, hi_mask);
      if (!is_arg(a.red->reduce_op)) {
        v = re.combine(a, lo, hi);
        continue;
      }
      Value* ilo = b_.CreateShuffleVector(idx, lo_mask);
      Value* ihi = b_.CreateShuffleVector(idx, hi_mask);
      Value* zero = llvm::Constant::getNullValue(ilo->getType());
      Value* hi_better = b_.CreateOr(re.beats(a, hi, lo), b_.CreateAnd(re.ties(a, hi, lo), b_.CreateICmpSLT(ihi, ilo)));
      Value* take_hi = b_.CreateAnd(b_.CreateICmpSGE(ihi, zero), b_.CreateOr(b_.CreateICmpSLT(ilo, zero), hi_better));
      v = b_.CreateSelect(take_hi, hi, lo);
      idx = b_.CreateSelect(take_hi, ihi, ilo);
    }
    Value* result = nullptr;
    const Op rop = a.red->reduce_op;
    if (is_arg(rop)) {
      result = b_.CreateExtractElement(idx, uint64_t{0});
    } else {
      Value* x = b_.CreateExtractElement(v, uint64_t{0});
      if (is_float(a.vt)) {
        // Sums and products round once to the dtype; max/min are exact values of it (a
        // signalling NaN comes out quiet, as it did through f64). An empty sum is +0.0 (the
        // lanes started from -0.0).
        if (x->getType()->isFloatTy() && (rop == Op::ReduceMax || rop == Op::ReduceMin)) {
          Value* quiet = b_.CreateBitCast(b_.CreateOr(b_.CreateBitCast(x, b_.getInt32Ty()), 0x400000u), x->getType());
          x = b_.CreateSelect(b_.CreateFCmpUNO(x, x), quiet, x);
        }
        result = s_.round_float(x, a.vt);
        if (rop == Op::ReduceSum)
          result = b_.CreateSelect(b_.CreateICmpEQ(n, b_.getInt64(0)), llvm::ConstantFP::get(result->getType(), 0.0), result);
      } else if (a.vt == DType::Bool) {
        result = b_.CreateICmpNE(x, b_.getInt8(0));
      } else {
        result = x;
      }
    }
    KILN_CHECK(a.red->acc >= 0 && a.red->acc < k_.num_accs) << "LLVM backend: accumulator " << a.red->acc;
    accs_[a.red->acc] = result;
  }
}

}  // namespace kiln::llvm_backend::detail
