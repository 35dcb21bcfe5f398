// kiln: lazy arrays compiled just in time. The one header of the user API.
//
//   #include <kiln/kiln.hpp>
//   kiln::Array x = kiln::arange(0, 1 << 20, 1, kiln::f32) / 1024.0f;
//   kiln::Array s = kiln::sum(kiln::sin(x) * kiln::exp(-x * x));
//   float v = s.item<float>();   // evaluates
#pragma once

#include "frontend/array.hpp"
#include "frontend/autodiff.hpp"
#include "frontend/device.hpp"
#include "frontend/npy.hpp"
#include "frontend/ops.hpp"
#include "frontend/promote.hpp"
#include "frontend/trace.hpp"
#include "runtime/build_info.hpp"
#include "runtime/dump.hpp"
#include "runtime/evaluate.hpp"
#include "runtime/profile.hpp"
#include "runtime/stats.hpp"
#include "runtime/thread_pool.hpp"
