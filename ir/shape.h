/* Static shapes (rank <= LW_MAX_RANK, checked element counts, broadcasting)
 * and quantization parameters. */
#ifndef LWCC_IR_SHAPE_H
#define LWCC_IR_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "include/lwcc/base.h"

#define LW_MAX_RANK 8

typedef struct Shape {
    uint8_t rank;
    int64_t dims[LW_MAX_RANK]; /* >= 0 once static; -1 = unknown (symbolic) at import */
} Shape;

/* ir/shape.c */
/* Element count; false on overflow or an unknown dim. */
bool shape_numel(const Shape *s, uint64_t *n);
/* Element count of a verified static shape (asserts). */
uint64_t shape_count(const Shape *s);
bool shape_is_static(const Shape *s);
bool shape_equal(const Shape *a, const Shape *b);
/* Numpy-style multidirectional broadcast of a and b; false when incompatible. */
bool shape_broadcast(const Shape *a, const Shape *b, Shape *out);
/* Row-major strides in elements; broadcast dims (size 1 against a larger out
 * dim) get stride 0 when `against` is given (aligned to the right). */
void shape_strides(const Shape *s, int64_t strides[LW_MAX_RANK]);
void shape_bcast_strides(const Shape *s, const Shape *against, int64_t strides[LW_MAX_RANK]);
Shape shape_make(uint8_t rank, const int64_t *dims);
/* Normalizes a possibly negative axis for rank r; false when out of range. */
bool shape_axis(int64_t axis, int64_t rank, int64_t *out);

/* Quantization parameters on a value: scale/zero point per tensor or per axis. */
typedef struct QuantParams {
    int32_t axis;     /* -1 per tensor */
    uint32_t n;       /* number of scales */
    const float *scale;
    const int32_t *zero_point;
} QuantParams;

#endif
