/* authfile.c: (to be written) */
