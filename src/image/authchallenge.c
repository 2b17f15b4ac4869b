/* authchallenge.c: (to be written) */
