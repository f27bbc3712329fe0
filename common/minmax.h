/*
 * minmax.h: the smaller and the larger of two ints, for the sizes of
 * blocks and workspaces (a function, not a macro: each argument is
 * evaluated once).
 */
#ifndef BLRCHOL_MINMAX_H
#define BLRCHOL_MINMAX_H

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int max_int(int a, int b) { return a > b ? a : b; }

#endif
