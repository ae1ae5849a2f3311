/* Op family 'recurrent': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_recurrent[1] = {{0}};
const uint32_t ops_recurrent_count = 0;
