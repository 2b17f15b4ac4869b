/* manifest.c: (to be written) */
