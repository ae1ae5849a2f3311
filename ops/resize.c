/* Op family 'resize': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_resize[1] = {{0}};
const uint32_t ops_resize_count = 0;
