/*
 * problem.h: the user's matrix (a blrchol_problem_t) as the solver sees
 * it: the clustering permutation and the entry source in permuted
 * numbering.
 */
#ifndef BLRCHOL_PROBLEM_H
#define BLRCHOL_PROBLEM_H

#include "include/blrchol.h"
#include "runtime/codelets.h"
#include "algorithm/desc.h"

typedef struct problem {
    blrchol_problem_t user; /* a copy: its pointers stay the caller's */
    int *perm;            /* perm[solver index] = original index */
    int is_complex, conj; /* precision z or d; Hermitian or symmetric */
    int elem_size;
    tile_source_t source; /* entries in solver numbering */
} problem_t;

/* The permutation (bisection of the points, identity without points) and
 * the tile source of `user`.  0, -1 when memory runs out. */
int problem_init(problem_t *pb, const blrchol_problem_t *user, int nb);
void problem_free(problem_t *pb);

/* ||A||_F, estimated from the tiles this rank owns: diagonal tiles exactly,
 * off-diagonal tiles from `sample_rows` evenly spaced rows each (their
 * squared norm scaled by rows / sample_rows), summed over ranks. */
double problem_norm_estimate(const problem_t *pb, const desc_t *A, int sample_rows, MPI_Comm comm);

#endif
