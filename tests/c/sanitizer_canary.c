/*
 * Proves the sanitizer build really checks: built with the same flags as the sanitized tests,
 * `sanitizer_canary heap` must die reporting a heap-buffer-overflow (AddressSanitizer) and
 * `sanitizer_canary shift` a shift out of range (UndefinedBehaviorSanitizer). If either runs to
 * the end, the flags did nothing and scripts/sanitizers.sh fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    volatile int index = 8;
    volatile int shift = 40;
    if (argc != 2) return 2;
    if (strcmp(argv[1], "heap") == 0) {
        char *p = malloc(8);
        p[index] = 'x'; /* one past the end */
        printf("%c\n", p[index]);
        free(p);
    } else if (strcmp(argv[1], "shift") == 0) {
        int one = 1;
        printf("%d\n", one << shift); /* shift exponent too large for int */
    }
    puts("canary survived");
    return 0;
}
