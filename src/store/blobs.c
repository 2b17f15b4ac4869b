/* blobs.c: (to be written) */
