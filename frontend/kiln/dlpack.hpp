// kiln's DLPack interchange (to_dlpack, from_dlpack): a header of its own because it needs
// dlpack.h (Debian libdlpack-dev), which kiln.hpp does not require. See frontend/dlpack.hpp.
#pragma once

#include "frontend/dlpack.hpp"
