/* The C module of the Swift binding: the installed header, found through pkg-config's Cflags. */
#include <mediaedge.h>
