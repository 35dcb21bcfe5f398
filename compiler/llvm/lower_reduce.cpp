// Reduce phases: accumulation with a fixed number of partial accumulators, in a fixed order.
//
// For one outer index the inner range is walked in blocks of kBlock elements. For each block,
// a plain counted loop evaluates the phase body and writes each reduction's value (widened:
// floats to f64, bool to i8) into a stack array — a loop the vectoriser handles like any
// elementwise loop, libmvec calls included. The block is then folded into kLanes partial
// accumulators, written as explicit LLVM vector code: element r always goes to lane r % kLanes,
// and each lane sees its elements in increasing r. After the last block the lanes are combined
// by a fixed pairwise tree (lane j with lane j + w, w = kLanes/2 ... 1). The order depends only
// on the inner extent, never on chunking or threads, and no fast-math flag is needed.
//
// argmax/argmin keep, per lane, the value and index of the lane's first extreme (NaN counts as
// the extreme, the first NaN wins); combining two lanes keeps the better value, and on a tie
// the smaller index, which is the interpreter's first extreme of the whole row.
#include <limits>

#include "compiler/llvm/lowering.hpp"

namespace kiln::llvm_backend::detail {

using llvm::Value;

namespace {

constexpr unsigned kLanes = 16;
constexpr int64_t kBlock = 512;  // a multiple of kLanes

struct Accumulator {
  const kernel::Reduction* red = nullptr;
  DType vt = DType::F32;        // the reduced value's dtype
  llvm::Type* elem = nullptr;   // lane element type: f64 for floats, i8 for bool, else the int type
  llvm::AllocaInst* tmp = nullptr;    // [kBlock x elem]: one block of values
  llvm::AllocaInst* lanes = nullptr;  // <kLanes x elem>
  llvm::AllocaInst* index = nullptr;  // <kLanes x i64>, argmax/argmin; -1: lane has seen nothing
};

bool is_arg(Op op) { return op == Op::ArgMax || op == Op::ArgMin; }

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
    a.elem = is_float(a.vt) ? b_.getDoubleTy() : a.vt == DType::Bool ? b_.getInt8Ty() : s_.reg_type(a.vt);
    a.tmp = entry_alloca(llvm::ArrayType::get(a.elem, kBlock), "block");
    a.lanes = entry_alloca(llvm::FixedVectorType::get(a.elem, kLanes), "lanes");
    b_.CreateStore(llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(kLanes), re.identity(a)), a.lanes);
    if (is_arg(red.reduce_op)) {
      a.index = entry_alloca(index_vec, "lane.index");
      b_.CreateStore(llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(kLanes), b_.getInt64(-1)), a.index);
    }
    accs.push_back(a);
  }
  Value* n = inner_[p];

  counted_loop(b_.getInt64(0), n, kBlock, "block", [&](Value* blk) {
    Value* len = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, b_.CreateSub(n, blk), b_.getInt64(kBlock));
    // The body over the block, each reduction's value widened into its stack array.
    counted_loop(b_.getInt64(0), len, 1, "body", [&](Value* i) {
      std::vector<Value*> v = emit_body(p, o, b_.CreateAdd(blk, i));
      for (const Accumulator& a : accs) {
        Value* x = v.at(a.red->value);
        if (is_float(a.vt))
          x = x->getType()->isDoubleTy() ? x : b_.CreateFPExt(x, b_.getDoubleTy());
        else if (a.vt == DType::Bool)
          x = b_.CreateZExt(x, b_.getInt8Ty());
        b_.CreateStore(x, b_.CreateInBoundsGEP(a.tmp->getAllocatedType(), a.tmp, {b_.getInt64(0), i}));
      }
    });
    // Fold the block into the lanes, kLanes elements at a time; lanes past `len` keep theirs.
    counted_loop(b_.getInt64(0), len, kLanes, "fold", [&](Value* j) {
      Value* lane_pos = b_.CreateAdd(b_.CreateVectorSplat(kLanes, j), iota);
      Value* valid = b_.CreateICmpSLT(lane_pos, b_.CreateVectorSplat(kLanes, len));
      for (const Accumulator& a : accs) {
        auto* vt = llvm::cast<llvm::FixedVectorType>(a.lanes->getAllocatedType());
        Value* x = b_.CreateAlignedLoad(vt, b_.CreateInBoundsGEP(a.tmp->getAllocatedType(), a.tmp, {b_.getInt64(0), j}),
                                        llvm::Align(a.elem->getScalarSizeInBits() / 8));
        Value* cur = b_.CreateLoad(vt, a.lanes);
        if (!is_arg(a.red->reduce_op)) {
          b_.CreateStore(b_.CreateSelect(valid, re.combine(a, cur, x), cur), a.lanes);
          continue;
        }
        Value* cur_index = b_.CreateLoad(index_vec, a.index);
        Value* empty = b_.CreateICmpSLT(cur_index, llvm::Constant::getNullValue(index_vec));
        Value* take = b_.CreateAnd(valid, b_.CreateOr(empty, re.beats(a, x, cur)));
        b_.CreateStore(b_.CreateSelect(take, x, cur), a.lanes);
        Value* r = b_.CreateAdd(b_.CreateVectorSplat(kLanes, blk), lane_pos);
        b_.CreateStore(b_.CreateSelect(take, r, cur_index), a.index);
      }
    });
  });

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
        // Sums and products round once to the dtype; max/min are exact values of it. An empty
        // sum is +0.0 (the lanes started from -0.0).
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
