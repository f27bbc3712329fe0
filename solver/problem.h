/*
 * problem.h: the matrix as the solver sees it: a bem problem, the
 * clustering permutation, and the entry source in permuted numbering.
 */
#ifndef BLRCHOL_PROBLEM_H
#define BLRCHOL_PROBLEM_H

#include "../bem/bem.h"
#include "../kernels/codelets.h"
#include "desc.h"

typedef struct problem {
    bem_problem_t bem;
    int *perm;            /* perm[solver index] = original index */
    int is_complex, conj; /* precision z or d; Hermitian or symmetric */
    int elem_size;
    tile_source_t source; /* entries in solver numbering */
} problem_t;

/* The problem on a point set (mesh NULL) or on the triangles of mesh
 * (kept by the caller), its clustering permutation and tile source. */
int problem_init(problem_t *pb, int n, bem_geometry_t geometry, bem_kernel_t kernel, int nb, const bem_mesh_t *mesh);
void problem_free(problem_t *pb);

/* ||A||_F, estimated from the tiles this rank owns: diagonal tiles exactly,
 * off-diagonal tiles from `sample_rows` evenly spaced rows each (their
 * squared norm scaled by rows / sample_rows), summed over ranks. */
double problem_norm_estimate(const problem_t *pb, const desc_t *A, int sample_rows, MPI_Comm comm);

#endif
