/* recover.h: capsad's start-up, before it serves: what a capsad killed at
 * any point left is finished or undone, so the kubelet's view and the
 * node's agree.  A row still "creating" is a request whose caller never
 * got an answer: its pod (or container) is removed and the row with it;
 * a row whose pod or container was removed behind capsad's back
 * (capsactl pod rm, rm) goes too.  Exits that happened while capsad was
 * down need nothing: the shims recorded them (their exit command is
 * capsactl's), and the states are read from those records. */
#ifndef CAPSA_CRI_RECOVER_H
#define CAPSA_CRI_RECOVER_H

#include "cri/handlers.h"

int cri_recover(struct capsad *d, cx_error *err);

#endif
