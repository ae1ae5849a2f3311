/* Pre-scan of the protobuf wire format, run before protobuf-c (which recurses
 * without a limit) sees untrusted bytes. An iterative walk with an explicit
 * stack follows a table of which fields hold which ONNX messages. */
#include "frontend/prescan.h"

#include <string.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"

/* The ONNX messages the walk knows; each row of `schema` lists the fields that
 * hold an embedded message and its type. Every other field is skipped by its
 * wire type, which is all protobuf-c does with it too. */
typedef enum PbMsg {
    PM_MODEL,
    PM_GRAPH,
    PM_NODE,
    PM_ATTRIBUTE,
    PM_VALUE_INFO,
    PM_TRAINING_INFO,
    PM_STRING_ENTRY,
    PM_TENSOR_ANNOTATION,
    PM_TENSOR,
    PM_SEGMENT,
    PM_SPARSE_TENSOR,
    PM_SHAPE,
    PM_DIMENSION,
    PM_TYPE,
    PM_TYPE_TENSOR,
    PM_TYPE_SEQUENCE,
    PM_TYPE_MAP,
    PM_TYPE_OPTIONAL,
    PM_TYPE_SPARSE,
    PM_OPSET_ID,
    PM_FUNCTION,
    PM_COUNT
} PbMsg;

typedef struct SubField {
    uint8_t field; /* field number */
    uint8_t msg;   /* PbMsg it holds */
} SubField;

typedef struct MsgSchema {
    const char *name; /* full protobuf name, as in protoc-c's descriptors */
    const SubField *sub;
    uint8_t nsub;
} MsgSchema;

static const SubField model_sub[] = {
    {7, PM_GRAPH},          {8, PM_OPSET_ID},  {14, PM_STRING_ENTRY},
    {20, PM_TRAINING_INFO}, {25, PM_FUNCTION},
};
static const SubField graph_sub[] = {
    {1, PM_NODE},           {5, PM_TENSOR},        {11, PM_VALUE_INFO},
    {12, PM_VALUE_INFO},    {13, PM_VALUE_INFO},   {14, PM_TENSOR_ANNOTATION},
    {15, PM_SPARSE_TENSOR}, {16, PM_STRING_ENTRY},
};
static const SubField node_sub[] = {{5, PM_ATTRIBUTE}, {9, PM_STRING_ENTRY}};
static const SubField attribute_sub[] = {
    {5, PM_TENSOR}, {6, PM_GRAPH}, {10, PM_TENSOR},        {11, PM_GRAPH},
    {14, PM_TYPE},  {15, PM_TYPE}, {22, PM_SPARSE_TENSOR}, {23, PM_SPARSE_TENSOR},
};
static const SubField value_info_sub[] = {{2, PM_TYPE}, {4, PM_STRING_ENTRY}};
static const SubField training_info_sub[] = {
    {1, PM_GRAPH}, {2, PM_GRAPH}, {3, PM_STRING_ENTRY}, {4, PM_STRING_ENTRY}};
static const SubField tensor_annotation_sub[] = {{2, PM_STRING_ENTRY}};
static const SubField tensor_sub[] = {
    {3, PM_SEGMENT}, {13, PM_STRING_ENTRY}, {16, PM_STRING_ENTRY}};
static const SubField sparse_tensor_sub[] = {{1, PM_TENSOR}, {2, PM_TENSOR}};
static const SubField shape_sub[] = {{1, PM_DIMENSION}};
static const SubField type_sub[] = {
    {1, PM_TYPE_TENSOR}, {4, PM_TYPE_SEQUENCE}, {5, PM_TYPE_MAP},
    {8, PM_TYPE_SPARSE}, {9, PM_TYPE_OPTIONAL},
};
static const SubField type_tensor_sub[] = {{2, PM_SHAPE}};
static const SubField type_elem_sub[] = {{1, PM_TYPE}};
static const SubField type_map_sub[] = {{2, PM_TYPE}};
static const SubField function_sub[] = {
    {7, PM_NODE}, {9, PM_OPSET_ID}, {11, PM_ATTRIBUTE}, {12, PM_VALUE_INFO}, {14, PM_STRING_ENTRY},
};

#define SUB(a) a, (uint8_t)LW_COUNT(a)
#define NOSUB NULL, 0

static const MsgSchema schema[PM_COUNT] = {
    [PM_MODEL] = {"onnx.ModelProto", SUB(model_sub)},
    [PM_GRAPH] = {"onnx.GraphProto", SUB(graph_sub)},
    [PM_NODE] = {"onnx.NodeProto", SUB(node_sub)},
    [PM_ATTRIBUTE] = {"onnx.AttributeProto", SUB(attribute_sub)},
    [PM_VALUE_INFO] = {"onnx.ValueInfoProto", SUB(value_info_sub)},
    [PM_TRAINING_INFO] = {"onnx.TrainingInfoProto", SUB(training_info_sub)},
    [PM_STRING_ENTRY] = {"onnx.StringStringEntryProto", NOSUB},
    [PM_TENSOR_ANNOTATION] = {"onnx.TensorAnnotation", SUB(tensor_annotation_sub)},
    [PM_TENSOR] = {"onnx.TensorProto", SUB(tensor_sub)},
    [PM_SEGMENT] = {"onnx.TensorProto.Segment", NOSUB},
    [PM_SPARSE_TENSOR] = {"onnx.SparseTensorProto", SUB(sparse_tensor_sub)},
    [PM_SHAPE] = {"onnx.TensorShapeProto", SUB(shape_sub)},
    [PM_DIMENSION] = {"onnx.TensorShapeProto.Dimension", NOSUB},
    [PM_TYPE] = {"onnx.TypeProto", SUB(type_sub)},
    [PM_TYPE_TENSOR] = {"onnx.TypeProto.Tensor", SUB(type_tensor_sub)},
    [PM_TYPE_SEQUENCE] = {"onnx.TypeProto.Sequence", SUB(type_elem_sub)},
    [PM_TYPE_MAP] = {"onnx.TypeProto.Map", SUB(type_map_sub)},
    [PM_TYPE_OPTIONAL] = {"onnx.TypeProto.Optional", SUB(type_elem_sub)},
    [PM_TYPE_SPARSE] = {"onnx.TypeProto.SparseTensor", SUB(type_tensor_sub)},
    [PM_OPSET_ID] = {"onnx.OperatorSetIdProto", NOSUB},
    [PM_FUNCTION] = {"onnx.FunctionProto", SUB(function_sub)},
};

/* Wire types (protobuf encoding spec). 3 and 4 are groups, which ONNX never
 * uses and protobuf-c rejects; 6 and 7 do not exist. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

#define MAX_FIELD ((UINT32_C(1) << 29) - 1)
/* Lower bound of what protobuf-c allocates per message and per element; the
 * smallest ONNX message struct is larger than this. */
#define MSG_MIN_BYTES 48
#define ELEM_MIN_BYTES 8

typedef struct Frame {
    size_t end;  /* first byte after the message */
    uint8_t msg; /* PbMsg */
} Frame;

typedef struct Scan {
    Diag *d;
    const unsigned char *buf;
    const char *what; /* "not an ONNX model" */
    const LwLimits *lim;
    Frame stack[PRESCAN_MAX_DEPTH + 1];
    uint32_t depth, max_depth;
    uint64_t msgs, nodes, payload;
} Scan;

static const char *short_name(uint8_t msg)
{
    return schema[msg].name + strlen("onnx.");
}

static int child_of(uint8_t msg, uint32_t field)
{
    for (uint8_t i = 0; i < schema[msg].nsub; i++)
        if (schema[msg].sub[i].field == field)
            return schema[msg].sub[i].msg;
    return -1;
}

const char *prescan_field_message(const char *msg, uint32_t field)
{
    for (unsigned m = 0; m < PM_COUNT; m++) {
        if (strcmp(schema[m].name, msg) != 0)
            continue;
        int c = child_of((uint8_t)m, field);
        return c < 0 ? NULL : schema[c].name;
    }
    return NULL;
}

/* Reads a varint of at most `maxlen` bytes ending before `end`. Returns 0 on
 * success, 1 when it runs into `end`, 2 when it is longer than `maxlen`. */
static int read_varint(const unsigned char *buf, size_t end, size_t *pos, unsigned maxlen,
                       uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < maxlen; i++) {
        if (*pos + i >= end)
            return 1;
        unsigned char b = buf[*pos + i];
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pos += i + 1;
            *out = v;
            return 0;
        }
    }
    return 2;
}

/* Reports a field (0: its tag) that does not fit in its message: at the top
 * level the file is cut short, further down a length disagrees with the
 * parent's. */
static LwStatus past_end(const Scan *s, uint32_t field, size_t at)
{
    const Frame *f = &s->stack[s->depth];
    if (s->depth == 0 && field == 0)
        return diag_error(s->d, "%s: truncated field tag at byte %zu", s->what, at);
    if (s->depth == 0)
        return diag_error(s->d, "%s: truncated field %u at byte %zu", s->what, field, at);
    if (field == 0)
        return diag_error(s->d, "%s: field tag at byte %zu runs past the end of its %s (byte %zu)",
                          s->what, at, short_name(f->msg), f->end);
    return diag_error(s->d, "%s: field %u at byte %zu runs past the end of its %s (byte %zu)",
                      s->what, field, at, short_name(f->msg), f->end);
}

/* Enters the embedded message `msg` held by `field` at byte `at`, which ends
 * before byte `end`; counts it against the limits. */
static LwStatus push(Scan *s, uint8_t msg, uint32_t field, size_t at, size_t end)
{
    if (s->depth >= s->max_depth)
        return diag_error(s->d, "%s: message nesting deeper than %u (field %u at byte %zu)",
                          s->what, s->max_depth, field, at);
    s->msgs++;
    if (msg == PM_NODE) {
        s->nodes++;
        if (s->lim->nodes && s->nodes > s->lim->nodes)
            return diag_error(s->d, "model has more than %u nodes, the limit", s->lim->nodes);
    }
    s->depth++;
    s->stack[s->depth] = (Frame){.end = end, .msg = msg};
    return LW_OK;
}

/* One field at *pos inside the current message. */
static LwStatus scan_field(Scan *s, size_t *pos)
{
    const Frame *f = &s->stack[s->depth];
    size_t at = *pos, end = f->end;
    uint64_t key, v;

    /* protobuf-c reads tags of at most 5 bytes. */
    int r = read_varint(s->buf, end, pos, 5, &key);
    if (r == 1)
        return past_end(s, 0, at);
    if (r == 2 || key > UINT32_MAX || (key >> 3) == 0 || (key >> 3) > MAX_FIELD)
        return diag_error(s->d, "%s: bad field tag in %s at byte %zu", s->what, short_name(f->msg),
                          at);
    uint32_t field = (uint32_t)(key >> 3);
    unsigned wt = (unsigned)(key & 7);
    int child = child_of(f->msg, field);
    if (child >= 0 && wt != WT_LEN)
        return diag_error(s->d, "%s: field %u of %s at byte %zu has wire type %u, not a message",
                          s->what, field, short_name(f->msg), at, wt);
    if (!ckd_add_u64(&s->payload, s->payload, ELEM_MIN_BYTES))
        s->payload = UINT64_MAX;
    switch (wt) {
    case WT_VARINT:
        r = read_varint(s->buf, end, pos, 10, &v);
        if (r == 1)
            return past_end(s, field, at);
        if (r == 2)
            return diag_error(s->d, "%s: varint longer than 10 bytes in field %u at byte %zu",
                              s->what, field, at);
        return LW_OK;
    case WT_I64:
    case WT_I32: {
        size_t n = wt == WT_I64 ? 8 : 4;
        if (end - *pos < n)
            return past_end(s, field, at);
        *pos += n;
        return LW_OK;
    }
    case WT_LEN: {
        /* protobuf-c reads length prefixes of at most 5 bytes, up to INT_MAX. */
        r = read_varint(s->buf, end, pos, 5, &v);
        if (r == 1)
            return past_end(s, field, at);
        if (r == 2 || v > INT32_MAX)
            return diag_error(s->d, "%s: bad length of field %u at byte %zu", s->what, field, at);
        if (v > end - *pos)
            return past_end(s, field, at);
        size_t sub_end = *pos + (size_t)v;
        if (child >= 0) {
            TRY(push(s, (uint8_t)child, field, at, sub_end));
        } else {
            if (!ckd_add_u64(&s->payload, s->payload, v))
                s->payload = UINT64_MAX;
            *pos = sub_end;
        }
        return LW_OK;
    }
    default:
        return diag_error(s->d,
                          "%s: field %u at byte %zu has wire type %u, which ONNX does not use",
                          s->what, field, at, wt);
    }
}

/* Walks `buf` as a message of type `root`; `noun` starts each complaint. */
static LwStatus scan(Diag *d, const unsigned char *buf, size_t len, const LwLimits *lim, PbMsg root,
                     const char *noun)
{
    Scan s = {.d = d, .buf = buf, .what = noun, .lim = lim, .msgs = 1};
    if (len == 0)
        return diag_error(d, "empty file, %s", noun);
    s.max_depth = lim->depth < PRESCAN_MAX_DEPTH ? lim->depth : PRESCAN_MAX_DEPTH;
    s.stack[0] = (Frame){.end = len, .msg = (uint8_t)root};
    size_t pos = 0;
    for (;;) {
        if (pos == s.stack[s.depth].end) {
            if (s.depth == 0)
                break;
            s.depth--;
            continue;
        }
        TRY(scan_field(&s, &pos));
    }
    uint64_t need;
    if (!ckd_mul_u64(&need, s.msgs, MSG_MIN_BYTES) || !ckd_add_u64(&need, need, s.payload))
        need = UINT64_MAX;
    if (lim->arena_bytes && need > lim->arena_bytes)
        return diag_error(d,
                          "loading needs at least %llu bytes of memory, over the limit of %llu "
                          "bytes",
                          (unsigned long long)need, (unsigned long long)lim->arena_bytes);
    return LW_OK;
}

LwStatus prescan_model(Diag *d, const unsigned char *buf, size_t len, const LwLimits *lim)
{
    return scan(d, buf, len, lim, PM_MODEL, "not an ONNX model");
}

LwStatus prescan_tensor(Diag *d, const unsigned char *buf, size_t len, const LwLimits *lim)
{
    return scan(d, buf, len, lim, PM_TENSOR, "not an ONNX tensor");
}
