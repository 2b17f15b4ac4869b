/* decompress.c: (to be written) */
