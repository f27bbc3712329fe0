/*
 * tile_size.c: the tile size blrchol picks when the caller leaves nb to it
 * (blrchol_default_nb, include/blrchol.h; the measurements behind the
 * constants are in bench/README.md, "Tile size").
 */
#include <math.h>

#include "include/blrchol.h"

enum {
    NB_DENSE = 512,          /* the dense path: large enough for BLAS 3, small enough for parallelism */
    NB_STEP = 256,           /* BLR tile sizes move in steps a measurement can tell apart */
    NB_LEAST = 512,          /* the floor: smaller tiles make more tasks than their flops pay for */
    NB_MOST = 2048,          /* an ACA tile that fails its check is recompressed by an O(nb^3) SVD */
    NB_FEWEST_TILE_ROWS = 4, /* a small problem still has tiles to spread over the ranks */
    NB_SMALL_STEP = 64,
};
#define NB_SCALE 4.25

/* The factorisation's (n/b)^3 low-rank updates cost mostly their fixed
 * overhead, against n b^2 in the dense diagonal tiles: they balance when b
 * grows like sqrt(n).  Compression pulls the other way (ranks grow with
 * the tile), which keeps the constant small and eps out of the rule. */
static int blr_nb(int n)
{
    const double balanced = NB_SCALE * sqrt(n);
    const int nb = NB_STEP * (int)lround(balanced / NB_STEP);
    return nb < NB_LEAST ? NB_LEAST : nb > NB_MOST ? NB_MOST : nb;
}

/* nb, or less on a small problem so that it has NB_FEWEST_TILE_ROWS tile rows. */
static int leaving_tile_rows(int nb, int n)
{
    int most = n / NB_FEWEST_TILE_ROWS / NB_SMALL_STEP * NB_SMALL_STEP;
    if (most < NB_SMALL_STEP)
        most = NB_SMALL_STEP;
    return nb < most ? nb : most;
}

int blrchol_default_nb(int n, int dense)
{
    return leaving_tile_rows(dense ? NB_DENSE : blr_nb(n), n);
}
