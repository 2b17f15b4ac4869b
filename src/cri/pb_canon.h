/* pb_canon.h: a message in one canonical order, so that equal requests
 * pack to equal bytes: protobuf leaves the order of a map's entries to the
 * sender (Go and Python clients send them in a random order), and the
 * kubelet's retry of RunPodSandbox or CreateContainer is recognised by the
 * digest of the packed config. */
#ifndef CAPSA_CRI_PB_CANON_H
#define CAPSA_CRI_PB_CANON_H

#include <protobuf-c/protobuf-c.h>

/* Every map of m and of the messages in it sorted by key, in place. */
void cri_pb_canonical(ProtobufCMessage *m);

#endif
