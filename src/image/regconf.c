/* regconf.c: (to be written) */
