/*
 * factor_file.h: a computed factor on disk (--save-factor DIR,
 * --load-factor DIR), so that later jobs solve without refactorising.
 *
 * DIR holds one file per rank, rank-R.tiles (that rank's tiles of L, each
 * with its shape and rank), and `factor.meta`, a text file naming the
 * format version, the matrix (a fingerprint of its points, permutation and
 * a sample of its entries), the tile size, the grid and the precision.  Every
 * file is written under a temporary name and renamed; factor.meta is
 * renamed last, once every rank's tiles are complete, so a killed job
 * never leaves a directory that loads.
 */
#ifndef BLRCHOL_FACTOR_FILE_H
#define BLRCHOL_FACTOR_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "algorithm/desc.h"
#include "library/problem.h"

#define FACTOR_FORMAT_VERSION 2 /* 2: the matrix fingerprint samples entries */

/* What a factor was made for; a load refuses any difference. */
typedef struct factor_identity {
    uint64_t matrix;  /* fingerprint of the points, permutation and sampled entries */
    int n, nb, p, q, ranks, elem_size, conj;
    char kernel[32], geometry[32];
} factor_identity_t;

void factor_identity_of(const problem_t *pb, const desc_t *A, factor_identity_t *id);

/* factor_save stopped because termination was requested on some rank
 * (runtime/termination.h): every rank removed what it had written. */
#define FACTOR_SAVE_INTERRUPTED (-2)

/* Collective.  0; -1 with a one-line message in error (on every rank); or
 * FACTOR_SAVE_INTERRUPTED. */
int factor_save(desc_t *A, const factor_identity_t *id, const char *dir, MPI_Comm comm, char *error,
                size_t error_size);
/* Collective: register and fill this rank's tiles.  0, or -1 with a
 * one-line message (missing or incomplete directory, another matrix, grid,
 * precision or format version, a truncated tile file). */
int factor_load(desc_t *A, const factor_identity_t *id, const char *dir, MPI_Comm comm, char *error,
                size_t error_size);

#endif
