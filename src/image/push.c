/* push.c: (to be written) */
