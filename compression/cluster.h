/*
 * cluster.h: geometric clustering by recursive coordinate bisection, so
 * that tiles of the permuted matrix are pairs of compact point clusters
 * (the condition for off-diagonal tiles to be low-rank).
 */
#ifndef BLRCHOL_CLUSTER_H
#define BLRCHOL_CLUSTER_H

/*
 * Permute n points (3 n coordinates) so that every consecutive run of
 * `tile_size` indices (the last one possibly shorter) is a geometric
 * cluster.  A set of points is split across the widest axis of its
 * bounding box; the split point is the multiple of tile_size nearest the
 * median, so leaves are exactly tile_size points except the last one.
 * perm[new_index] = original_index.  0, or -1 on bad arguments / no memory.
 */
int cluster_bisect(const double *points, int n, int tile_size, int *perm);

#endif
