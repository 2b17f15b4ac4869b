/* lock.c: (to be written) */
