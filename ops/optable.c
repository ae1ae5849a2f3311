/* All op tables and the lookup by (domain, name, opset). */
#include <string.h>

#include "ops/families.h"

typedef struct Family {
    const OpDef *ops;
    const uint32_t *count;
} Family;

static const Family families[] = {
    {ops_elementwise, &ops_elementwise_count}, {ops_activation, &ops_activation_count},
    {ops_conv, &ops_conv_count},               {ops_gemm, &ops_gemm_count},
    {ops_pool, &ops_pool_count},               {ops_norm, &ops_norm_count},
    {ops_shape, &ops_shape_count},             {ops_reduce, &ops_reduce_count},
    {ops_misc, &ops_misc_count},               {ops_loss, &ops_loss_count},
    {ops_resize, &ops_resize_count},           {ops_index, &ops_index_count},
    {ops_convt, &ops_convt_count},             {ops_recurrent, &ops_recurrent_count},
    {ops_quant, &ops_quant_count},             {ops_signal, &ops_signal_count},
};

static int same_domain(const char *a, const char *b)
{
    if (!*a || strcmp(a, "ai.onnx") == 0)
        return !*b || strcmp(b, "ai.onnx") == 0;
    return strcmp(a, b) == 0;
}

const OpDef *op_lookup(const char *domain, const char *name, int64_t opset, int *known)
{
    *known = 0;
    for (size_t f = 0; f < LW_COUNT(families); f++) {
        for (uint32_t i = 0; i < *families[f].count; i++) {
            const OpDef *d = &families[f].ops[i];
            if (strcmp(d->name, name) != 0 || strcmp(d->domain, "lwcc") == 0 ||
                !same_domain(d->domain, domain))
                continue;
            *known = 1;
            if (opset >= d->since && opset <= d->until)
                return d;
        }
    }
    return NULL;
}

const OpDef *op_internal(const char *name)
{
    for (size_t f = 0; f < LW_COUNT(families); f++)
        for (uint32_t i = 0; i < *families[f].count; i++) {
            const OpDef *d = &families[f].ops[i];
            if (strcmp(d->domain, "lwcc") == 0 && strcmp(d->name, name) == 0)
                return d;
        }
    return NULL;
}
