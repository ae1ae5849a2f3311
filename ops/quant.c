/* Op family 'quant': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_quant[1] = {{0}};
const uint32_t ops_quant_count = 0;
