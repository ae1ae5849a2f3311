/* Op family 'index': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_index[1] = {{0}};
const uint32_t ops_index_count = 0;
