// What vmlx's own CPU primitives (qmm.cpp, swiglu_cpu.cpp, cache_write.cpp) check of, and do to, the arrays they
// read through plain pointers.
#pragma once
#include "common.h"

namespace vmlx {

// One dense row-major buffer: what a kernel can read as a pointer and a length.
inline bool plain(const mx::array& a) { return a.flags().row_contiguous && a.data_size() == a.size(); }

// `a` as an input a CPU primitive reads as plain memory: itself where it is already computed and plain (a loaded
// weight), else through a Contiguous node, which shares a plain buffer and copies anything else (one more
// primitive to evaluate each step, so not added where it is known to be a no-op).
inline mx::array plain_input(const mx::array& a, const mx::Stream& s) {
  return a.is_available() && plain(a) ? a : mx::contiguous(a, false, s);
}

}  // namespace vmlx
