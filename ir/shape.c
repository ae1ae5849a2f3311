/* Shape arithmetic with checked element counts. */
#include "ir/shape.h"

#include <string.h>

#include "include/lwcc/ckd.h"

bool shape_numel(const Shape *s, uint64_t *n)
{
    uint64_t r = 1;
    for (uint8_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0 || !ckd_mul_u64(&r, r, (uint64_t)s->dims[i]))
            return false;
    }
    *n = r;
    return true;
}

uint64_t shape_count(const Shape *s)
{
    uint64_t n = 0;
    bool ok = shape_numel(s, &n);
    LW_ASSERT(ok);
    return n;
}

bool shape_is_static(const Shape *s)
{
    for (uint8_t i = 0; i < s->rank; i++)
        if (s->dims[i] < 0)
            return false;
    return true;
}

bool shape_equal(const Shape *a, const Shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (uint8_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

bool shape_broadcast(const Shape *a, const Shape *b, Shape *out)
{
    Shape r;
    memset(&r, 0, sizeof r);
    r.rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r.rank; i++) {
        int ia = i - (r.rank - a->rank), ib = i - (r.rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da == db || db == 1)
            r.dims[i] = da;
        else if (da == 1)
            r.dims[i] = db;
        else
            return false;
    }
    *out = r;
    return true;
}

void shape_strides(const Shape *s, int64_t strides[LW_MAX_RANK])
{
    int64_t st = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->dims[i];
    }
}

void shape_bcast_strides(const Shape *s, const Shape *against, int64_t strides[LW_MAX_RANK])
{
    int64_t own[LW_MAX_RANK];
    shape_strides(s, own);
    int off = against->rank - s->rank;
    LW_ASSERT(off >= 0);
    for (int i = 0; i < against->rank; i++) {
        int j = i - off;
        strides[i] = (j < 0 || (s->dims[j] == 1 && against->dims[i] != 1)) ? 0 : own[j];
        if (j >= 0 && s->dims[j] == 1)
            strides[i] = 0;
    }
}

Shape shape_make(uint8_t rank, const int64_t *dims)
{
    Shape s;
    memset(&s, 0, sizeof s);
    LW_ASSERT(rank <= LW_MAX_RANK);
    s.rank = rank;
    for (uint8_t i = 0; i < rank; i++)
        s.dims[i] = dims[i];
    return s;
}

bool shape_axis(int64_t axis, int64_t rank, int64_t *out)
{
    if (axis < -rank || axis >= rank)
        return false;
    *out = axis < 0 ? axis + rank : axis;
    return true;
}
