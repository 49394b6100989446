// Elementwise binary and unary ops, `where`, and binary ops with a host scalar operand.
#include "common.h"

namespace vmlx {
mx::array weak_scalar(double val, const mx::array* like);  // ops_core_creation.cpp

namespace {
mx::array binary(int op, const mx::array& a, const mx::array& b, mx::StreamOrDevice s) {
  switch (op) {
    case VMLX_ADD: return mx::add(a, b, s);
    case VMLX_SUBTRACT: return mx::subtract(a, b, s);
    case VMLX_MULTIPLY: return mx::multiply(a, b, s);
    case VMLX_DIVIDE: return mx::divide(a, b, s);
    case VMLX_MAXIMUM: return mx::maximum(a, b, s);
    case VMLX_MINIMUM: return mx::minimum(a, b, s);
    case VMLX_POWER: return mx::power(a, b, s);
    case VMLX_REMAINDER: return mx::remainder(a, b, s);
    case VMLX_EQUAL: return mx::equal(a, b, s);
    case VMLX_NOT_EQUAL: return mx::not_equal(a, b, s);
    case VMLX_GREATER: return mx::greater(a, b, s);
    case VMLX_GREATER_EQUAL: return mx::greater_equal(a, b, s);
    case VMLX_LESS: return mx::less(a, b, s);
    case VMLX_LESS_EQUAL: return mx::less_equal(a, b, s);
    case VMLX_LOGICAL_AND: return mx::logical_and(a, b, s);
    case VMLX_LOGICAL_OR: return mx::logical_or(a, b, s);
  }
  throw std::invalid_argument("[vmlx_binary_scalar] unknown binary op code " + std::to_string(op));
}
}  // namespace
}  // namespace vmlx

using namespace vmlx;

#define VMLX_BINARY(name, code)                                                       \
  int mlx_##name(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s) { \
    VMLX_TRY(assign(res, binary(code, arr(a), arr(b), stream(s))))                    \
  }
#define VMLX_UNARY(name)                                                   \
  int mlx_##name(mlx_array* res, const mlx_array a, const mlx_stream s) { \
    VMLX_TRY(assign(res, mx::name(arr(a), stream(s))))                     \
  }

extern "C" {

VMLX_BINARY(add, VMLX_ADD)
VMLX_BINARY(subtract, VMLX_SUBTRACT)
VMLX_BINARY(multiply, VMLX_MULTIPLY)
VMLX_BINARY(divide, VMLX_DIVIDE)
VMLX_BINARY(maximum, VMLX_MAXIMUM)
VMLX_BINARY(minimum, VMLX_MINIMUM)
VMLX_BINARY(power, VMLX_POWER)
VMLX_BINARY(remainder, VMLX_REMAINDER)
VMLX_BINARY(equal, VMLX_EQUAL)
VMLX_BINARY(not_equal, VMLX_NOT_EQUAL)
VMLX_BINARY(greater, VMLX_GREATER)
VMLX_BINARY(greater_equal, VMLX_GREATER_EQUAL)
VMLX_BINARY(less, VMLX_LESS)
VMLX_BINARY(less_equal, VMLX_LESS_EQUAL)
VMLX_BINARY(logical_and, VMLX_LOGICAL_AND)
VMLX_BINARY(logical_or, VMLX_LOGICAL_OR)

int vmlx_binary_scalar(mlx_array* res, int op, const mlx_array a, double b, bool scalar_first, const mlx_stream s) {
  VMLX_TRY({
    const mx::array& x = arr(a);
    mx::array y = weak_scalar(b, &x);
    assign(res, scalar_first ? binary(op, y, x, stream(s)) : binary(op, x, y, stream(s)));
  })
}

int mlx_where(mlx_array* res, const mlx_array condition, const mlx_array x, const mlx_array y, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::where(arr(condition), arr(x), arr(y), stream(s))))
}

VMLX_UNARY(negative)
VMLX_UNARY(abs)
VMLX_UNARY(sign)
VMLX_UNARY(exp)
VMLX_UNARY(log)
VMLX_UNARY(log1p)
VMLX_UNARY(sqrt)
VMLX_UNARY(rsqrt)
VMLX_UNARY(square)
VMLX_UNARY(reciprocal)
VMLX_UNARY(sin)
VMLX_UNARY(cos)
VMLX_UNARY(tanh)
VMLX_UNARY(sigmoid)
VMLX_UNARY(erf)
VMLX_UNARY(logical_not)
VMLX_UNARY(floor)
VMLX_UNARY(ceil)
VMLX_UNARY(isnan)
VMLX_UNARY(isinf)
VMLX_UNARY(stop_gradient)

int mlx_round(mlx_array* res, const mlx_array a, int decimals, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::round(arr(a), decimals, stream(s))))
}

}  // extern "C"
