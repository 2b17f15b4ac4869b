/* images.c: (to be written) */
