/* capsa-shim.c: main() of the container monitor (src/shim/). */
#include "shim/shim.h"

int main(int argc, char **argv)
{
    return shim_main(argc, argv);
}
