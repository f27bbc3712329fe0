#include "library/problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compression/cluster.h"

static void assemble_permuted(const tile_source_t *src, int row0, int nrows, int col0, int ncols, void *out,
                              int ld)
{
    const problem_t *pb = src->ctx;
    /* perm is contiguous in solver numbering: the index lists are slices. */
    pb->user.assemble(&pb->user, pb->perm + row0, nrows, pb->perm + col0, ncols, out, ld);
}

int problem_init(problem_t *pb, const blrchol_problem_t *user, int nb)
{
    memset(pb, 0, sizeof *pb);
    pb->user = *user;
    const int n = user->n;
    pb->perm = malloc((size_t)n * sizeof *pb->perm);
    if (!pb->perm)
        return -1;
    if (user->points) {
        if (cluster_bisect(user->points, n, nb, pb->perm) != 0) {
            problem_free(pb);
            return -1;
        }
    } else {
        for (int k = 0; k < n; k++)
            pb->perm[k] = k;
    }
    pb->is_complex = user->scalar != BLRCHOL_REAL_SYMMETRIC;
    pb->conj = user->scalar == BLRCHOL_COMPLEX_HERMITIAN;
    pb->elem_size = pb->is_complex ? 16 : 8;
    pb->source.assemble = assemble_permuted;
    pb->source.ctx = pb;
    return 0;
}

void problem_free(problem_t *pb)
{
    free(pb->perm);
    pb->perm = NULL;
}

/* Sum of |a|^2 over an m x n block (ld = m) of doubles or complex pairs. */
static double block_norm2(const double *block, size_t count)
{
    double sum = 0;
    for (size_t k = 0; k < count; k++)
        sum += block[k] * block[k];
    return sum;
}

double problem_norm_estimate(const problem_t *pb, const desc_t *A, int sample_rows, MPI_Comm comm)
{
    const int reals_per_entry = pb->elem_size / 8;
    double *buffer = malloc((size_t)A->nb * A->nb * pb->elem_size);
    /* Per-tile contributions, summed in tile order after the reduction, so
     * that every grid gets the same bits (and so the same truncations). */
    double *per_tile = calloc(A->ntiles, sizeof *per_tile);
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++) {
            if (!desc_is_mine(A, i, j))
                continue;
            int m = desc_tile_rows(A, i), n = desc_tile_rows(A, j);
            if (i == j) {
                pb->source.assemble(&pb->source, i * A->nb, m, j * A->nb, n, buffer, m);
                per_tile[desc_index(A, i, j)] = block_norm2(buffer, (size_t)m * n * reals_per_entry);
                continue;
            }
            int samples = sample_rows < m ? sample_rows : m;
            double sampled = 0;
            for (int s = 0; s < samples; s++) {
                int row = (int)(((long)s * m + m / 2) / samples);
                pb->source.assemble(&pb->source, i * A->nb + row, 1, j * A->nb, n, buffer, 1);
                sampled += block_norm2(buffer, (size_t)n * reals_per_entry);
            }
            /* Off-diagonal tiles stand twice in the symmetric matrix. */
            per_tile[desc_index(A, i, j)] = 2.0 * sampled * m / samples;
        }
    free(buffer);
    /* Each entry is non-zero on one rank only: the sum is exact. */
    MPI_Allreduce(MPI_IN_PLACE, per_tile, (int)A->ntiles, MPI_DOUBLE, MPI_SUM, comm);
    double total = 0;
    for (long t = 0; t < A->ntiles; t++)
        total += per_tile[t];
    free(per_tile);
    return sqrt(total);
}
