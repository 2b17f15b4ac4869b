/* unpack.c: (to be written) */
