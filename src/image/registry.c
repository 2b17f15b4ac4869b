/* registry.c: (to be written) */
