/* platform.c: (to be written) */
