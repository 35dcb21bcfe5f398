// Philox4x32-10, the counter-based random generator behind `random_bits` (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011). Header-only so that every
// backend computes the very same bits.
//
// Element i of `random_bits {seed = S, stream = T}` is word 0 of
//   philox4x32_10(counter = {lo(i), hi(i), lo(T), hi(T)}, key = {lo(S), hi(S)}).
#pragma once

#include <array>
#include <cstdint>

namespace kiln {

inline std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr[0];
    uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr[2];
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

// The value of element `index` of random_bits {seed, stream}.
inline uint32_t random_bits_at(uint64_t seed, uint64_t stream, uint64_t index) {
  return philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                        static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)},
                       {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)})[0];
}

}  // namespace kiln
