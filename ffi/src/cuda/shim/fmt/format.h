// Stands in for {fmt}, which the wheel's CUDA headers include (mlx/backend/cuda/lru_cache.h, through device.h) but
// the wheel does not ship. Those headers call fmt::format only inside templates that libvmlx never instantiates,
// so a declaration is all that parsing them needs; a use would fail to link, not run wrongly.
#pragma once
#include <string>

namespace fmt {
template <typename... Args>
std::string format(Args&&... args);
}  // namespace fmt
