/* layout.c: (to be written) */
