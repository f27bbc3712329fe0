/* Recursive coordinate bisection: a permutation whose runs of tile_size
 * points are compact clusters. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bem/bem.h"
#include "compression/cluster.h"

static double run_diameter(const double *points, const int *order, int first, int count)
{
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (int k = first; k < first + count; k++)
        for (int d = 0; d < 3; d++) {
            double x = points[3 * order[k] + d];
            lo[d] = fmin(lo[d], x);
            hi[d] = fmax(hi[d], x);
        }
    return sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                (hi[2] - lo[2]) * (hi[2] - lo[2]));
}

static double mean_diameter(const double *points, const int *order, int n, int tile)
{
    double sum = 0;
    int runs = 0;
    for (int first = 0; first < n; first += tile, runs++)
        sum += run_diameter(points, order, first, n - first < tile ? n - first : tile);
    return sum / runs;
}

Test(cluster, permutation_of_compact_tiles)
{
    bem_problem_t p;
    const int n = 4000, tile = 250;
    cr_assert_eq(bem_problem_init(&p, n, BEM_SPHERE, BEM_LAPLACE), 0);
    int *perm = malloc(n * sizeof *perm), *seen = calloc(n, sizeof *seen), *identity = malloc(n * sizeof *identity);
    cr_assert_eq(cluster_bisect(p.points, n, tile, perm), 0);
    for (int k = 0; k < n; k++) {
        cr_assert(perm[k] >= 0 && perm[k] < n && !seen[perm[k]]);
        seen[perm[k]] = 1;
        identity[k] = k;
    }
    /* Fibonacci order already sweeps the sphere in latitude bands: clusters
     * must still be much tighter than those bands. */
    double clustered = mean_diameter(p.points, perm, n, tile), banded = mean_diameter(p.points, identity, n, tile);
    cr_assert(clustered < 0.6 * banded, "clusters %g vs bands %g", clustered, banded);
    int *again = malloc(n * sizeof *again);
    cluster_bisect(p.points, n, tile, again);
    cr_assert_eq(memcmp(perm, again, n * sizeof *perm), 0, "not deterministic");
    free(perm), free(seen), free(identity), free(again);
    bem_problem_free(&p);
}

/* Leaves are exactly tile points except the last: each run of tile
 * indices must be a subtree, i.e. the split points are multiples of tile.
 * Checked by clustering a line: every run must be a contiguous interval. */
Test(cluster, runs_are_whole_tiles_on_a_line)
{
    const int n = 1037, tile = 100;
    double *points = calloc(3 * n, sizeof *points);
    for (int i = 0; i < n; i++)
        points[3 * i] = (i * 7919) % n; /* a shuffled line */
    int *perm = malloc(n * sizeof *perm);
    cr_assert_eq(cluster_bisect(points, n, tile, perm), 0);
    for (int first = 0; first < n; first += tile) {
        int count = n - first < tile ? n - first : tile;
        double lo = 1e300, hi = -1e300;
        for (int k = first; k < first + count; k++) {
            lo = fmin(lo, points[3 * perm[k]]);
            hi = fmax(hi, points[3 * perm[k]]);
        }
        cr_assert_eq(hi - lo, count - 1, "run at %d spans %g..%g", first, lo, hi);
    }
    free(points), free(perm);
}

Test(cluster, edge_cases)
{
    double points[3 * 5] = {0};
    int perm[5];
    cr_assert_eq(cluster_bisect(points, 5, 2, perm), 0); /* identical points */
    int seen = 0;
    for (int k = 0; k < 5; k++)
        seen |= 1 << perm[k];
    cr_assert_eq(seen, 31);
    cr_assert_eq(cluster_bisect(points, 1, 1, perm), 0);
    cr_assert_eq(perm[0], 0);
    cr_assert_eq(cluster_bisect(points, 5, 10, perm), 0);
    cr_assert_eq(cluster_bisect(points, 0, 10, perm), -1);
    cr_assert_eq(cluster_bisect(points, 5, 0, perm), -1);
    cr_assert_eq(cluster_bisect(NULL, 5, 2, perm), -1);
}
