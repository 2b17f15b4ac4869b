/* reference.c: (to be written) */
