/* runtime-min/rt_trig.c: tangent, inverse trigonometric and hyperbolic functions
 * (float32), built on the rt_math.c helpers with range reduction and short
 * series where the closed forms cancel. A few ulp over their domains. */
#include "runtime-min/lwrt.h"

/* @helper lwrt_tanf deps: lwrt_sinf lwrt_cosf */
LWRT_FN float lwrt_tanf(float x)
{
    return lwrt_sinf(x) / lwrt_cosf(x);
}

/* @helper lwrt_atanf deps: */
LWRT_FN float lwrt_atanf(float x)
{
    float ax = x < 0.0f ? -x : x, off = 0.0f, sgn = 1.0f;
    if (x != x)
        return x;
    if (ax > 1.0f) { /* atan(x) = pi/2 - atan(1/x) */
        ax = 1.0f / ax;
        off = 1.57079632679489662f;
        sgn = -1.0f;
    }
    float base = 0.0f;
    if (ax > 0.267949192f) { /* atan(t) = pi/6 + atan((t*sqrt3 - 1) / (sqrt3 + t)) */
        ax = (ax * 1.73205080756887729f - 1.0f) / (1.73205080756887729f + ax);
        base = 0.523598775598298873f;
    }
    float t2 = ax * ax;
    float p = ax * (1.0f + t2 * (-0.333333333f + t2 * (0.2f + t2 * (-0.142857143f +
                     t2 * (0.111111111f + t2 * (-0.0909090909f + t2 * 0.0769230769f))))));
    float r = off + sgn * (base + p);
    return x < 0.0f ? -r : r;
}

/* @helper lwrt_asinf deps: lwrt_atanf lwrt_sqrtf */
LWRT_FN float lwrt_asinf(float x)
{
    /* (1 - x)(1 + x) is exact enough near |x| = 1 (1 - |x| is exact there) */
    return lwrt_atanf(x / lwrt_sqrtf((1.0f - x) * (1.0f + x)));
}

/* @helper lwrt_acosf deps: lwrt_atanf lwrt_sqrtf */
LWRT_FN float lwrt_acosf(float x)
{
    return 2.0f * lwrt_atanf(lwrt_sqrtf((1.0f - x) / (1.0f + x)));
}

/* @helper lwrt_sinhf deps: lwrt_expf */
LWRT_FN float lwrt_sinhf(float x)
{
    float ax = x < 0.0f ? -x : x;
    if (ax < 1.0f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (1.0f / 6 + x2 * (1.0f / 120 + x2 * (1.0f / 5040 +
                    x2 * (1.0f / 362880 + x2 * (1.0f / 39916800))))));
    }
    /* e^(|x| - ln 2) keeps sinh finite up to its own overflow */
    float h = lwrt_expf(ax - 0.693147180559945309f);
    float r = h - 0.25f / h;
    return x < 0.0f ? -r : r;
}

/* @helper lwrt_coshf deps: lwrt_expf */
LWRT_FN float lwrt_coshf(float x)
{
    float ax = x < 0.0f ? -x : x;
    float h = lwrt_expf(ax - 0.693147180559945309f);
    return h + 0.25f / h;
}

/* @helper lwrt_asinhf deps: lwrt_logf lwrt_sqrtf */
LWRT_FN float lwrt_asinhf(float x)
{
    float ax = x < 0.0f ? -x : x, r;
    if (ax < 0.125f) {
        float x2 = x * x;
        r = ax * (1.0f + x2 * (-1.0f / 6 + x2 * (3.0f / 40 + x2 * (-15.0f / 336 +
                    x2 * (105.0f / 3456)))));
    } else if (ax > 1e18f) {
        r = lwrt_logf(ax) + 0.693147180559945309f;
    } else {
        r = lwrt_logf(ax + lwrt_sqrtf(ax * ax + 1.0f));
    }
    return x < 0.0f ? -r : r;
}

/* @helper lwrt_acoshf deps: lwrt_logf lwrt_sqrtf */
LWRT_FN float lwrt_acoshf(float x)
{
    if (x > 1e18f)
        return lwrt_logf(x) + 0.693147180559945309f;
    return lwrt_logf(x + lwrt_sqrtf((x - 1.0f) * (x + 1.0f)));
}

/* @helper lwrt_atanhf deps: lwrt_logf */
LWRT_FN float lwrt_atanhf(float x)
{
    float ax = x < 0.0f ? -x : x;
    if (ax < 0.125f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (1.0f / 3 + x2 * (0.2f + x2 * (1.0f / 7 + x2 * (1.0f / 9)))));
    }
    return 0.5f * lwrt_logf((1.0f + x) / (1.0f - x));
}
