/* Importer internals shared by frontend/import.c and frontend/control.c. */
#ifndef LWCC_FRONTEND_IMPORTER_H
#define LWCC_FRONTEND_IMPORTER_H

#include "base/hash.h"
#include "frontend/frontend.h"
#include "ir/graph.h"

typedef struct Unsupported {
    const char *domain, *op;
    int64_t opset;
    uint32_t count;
    StrBuf names;
} Unsupported;

typedef struct Opsets {
    Onnx__OperatorSetIdProto **v;
    size_t n;
} Opsets;

typedef struct Scope Scope;
struct Scope {
    const Scope *parent;    /* enclosing graph's scope (subgraphs see outer values) */
    StrMap *names;          /* value name -> ValueId in this scope */
    Opsets opsets;
    const AttrList *caller; /* attributes of the calling node (functions) */
    const char *chain;      /* call chain for messages */
    const char *prefix;     /* prefix of value names made here */
    uint32_t depth;
};

typedef struct Importer {
    Ctx *ctx;
    Graph *g;
    const Onnx__ModelProto *m;
    const char *model_dir;
    Vec(Unsupported) unsup;
    uint32_t errors;
} Importer;

/* frontend/import.c */
LW_NODISCARD LwStatus import_nodes(Importer *im, Onnx__NodeProto **nodes, size_t nn, Scope *sc);
LW_NODISCARD LwStatus import_define(Importer *im, Scope *sc, const SrcLoc *loc, const char *name,
                                    ValueId v);
int import_lookup(const Scope *sc, const char *name, uint32_t *v);
const char *import_scoped_name(Importer *im, const Scope *sc, const char *name);

/* frontend/control.c: If, Loop and Scan with a condition, trip count or
 * sequence length known at import, unrolled into the graph. */
LW_NODISCARD LwStatus import_control(Importer *im, Scope *sc, const SrcLoc *loc,
                                     const Onnx__NodeProto *np);

#endif
