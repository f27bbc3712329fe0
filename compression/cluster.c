#define _GNU_SOURCE /* qsort_r */
#include "compression/cluster.h"

#include <stdlib.h>

struct bisection {
    const double *points;
    int axis;
};

/* Order by coordinate along the axis, ties by index: the same permutation
 * on every rank and every run. */
static int compare_along_axis(const void *a, const void *b, void *ctx)
{
    const struct bisection *bis = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    double xi = bis->points[3 * i + bis->axis], xj = bis->points[3 * j + bis->axis];
    if (xi != xj)
        return xi < xj ? -1 : 1;
    return (i > j) - (i < j);
}

static int widest_axis(const double *points, const int *index, int count)
{
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (int k = 0; k < count; k++)
        for (int d = 0; d < 3; d++) {
            double x = points[3 * index[k] + d];
            if (x < lo[d])
                lo[d] = x;
            if (x > hi[d])
                hi[d] = x;
        }
    int axis = 0;
    for (int d = 1; d < 3; d++)
        if (hi[d] - lo[d] > hi[axis] - lo[axis])
            axis = d;
    return axis;
}

static void bisect(const double *points, int *index, int count, int tile_size)
{
    int tiles = (count + tile_size - 1) / tile_size;
    if (tiles <= 1)
        return;
    struct bisection bis = {points, widest_axis(points, index, count)};
    /* A full sort is O(n log n) per level, O(n log^2 n) overall: cheap next
     * to the factorisation, and simple to keep deterministic. */
    qsort_r(index, count, sizeof *index, compare_along_axis, &bis);
    int left = tile_size * ((tiles + 1) / 2);
    bisect(points, index, left, tile_size);
    bisect(points, index + left, count - left, tile_size);
}

int cluster_bisect(const double *points, int n, int tile_size, int *perm)
{
    if (!points || !perm || n < 1 || tile_size < 1)
        return -1;
    for (int k = 0; k < n; k++)
        perm[k] = k;
    bisect(points, perm, n, tile_size);
    return 0;
}
