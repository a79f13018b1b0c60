/* The header compiles alone, twice (include guard), as C and as C++. */
#include "mediaedge.h"
#include "mediaedge.h"

int main(void) {
    return mediaedge_version() != 0 ? 0 : 1;
}
