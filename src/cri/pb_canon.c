/* pb_canon.c: see pb_canon.h. */
#include "cri/pb_canon.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* protobuf-c has no map type: a map is a repeated message of a nested
 * "...Entry" type whose field 1 is the key */
static bool is_map_entry(const ProtobufCMessageDescriptor *d)
{
    size_t n = strlen(d->name);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
           d->fields[0].id == 1 && d->fields[0].type == PROTOBUF_C_TYPE_STRING &&
           d->fields[0].label != PROTOBUF_C_LABEL_REPEATED;
}

static const char *key_of(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = &m->descriptor->fields[0];
    const char *k = *(const char *const *) ((const char *) m + f->offset);
    return k ? k : "";
}

static int by_key(const void *a, const void *b)
{
    return strcmp(key_of(*(const ProtobufCMessage *const *) a),
                  key_of(*(const ProtobufCMessage *const *) b));
}

void cri_pb_canonical(ProtobufCMessage *m)
{
    if (m == NULL)
        return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *at = (char *) m + f->offset;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            cri_pb_canonical(*(ProtobufCMessage **) at);
            continue;
        }
        size_t n = *(size_t *) ((char *) m + f->quantifier_offset);
        ProtobufCMessage **v = *(ProtobufCMessage ***) at;
        if (n > 1 && is_map_entry(f->descriptor))
            qsort(v, n, sizeof *v, by_key);
        for (size_t k = 0; k < n; k++)
            cri_pb_canonical(v[k]);
    }
}
