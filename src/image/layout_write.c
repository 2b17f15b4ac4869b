/* layout_write.c: (to be written) */
