/*
 * codelets.h: the StarPU codelets of the factorisation and the solves.  Each
 * is a thin wrapper: unpack the buffers, call the plain kernel of
 * tile_kernels.h (or the compression of lowrank.h), record the outcome.
 * They know StarPU and tiles, not the distribution.
 */
#ifndef BLRCHOL_CODELETS_H
#define BLRCHOL_CODELETS_H

#include <starpu.h>
#include "compression/lowrank.h"

/* Entries of the matrix in the solver's numbering (after clustering):
 * out[r + c ld] = A(row0 + r, col0 + c).  Doubles or double complex
 * according to the run's precision. */
typedef struct tile_source {
    void (*assemble)(const struct tile_source *src, int row0, int nrows, int col0, int ncols, void *out,
                     int ld);
    void *ctx;
} tile_source_t;

typedef enum { TILE_BUILD_DENSE, TILE_BUILD_ACA, TILE_BUILD_SVD } tile_build_t;

/* Passed by value to every codelet. */
struct kernel_args {
    int is_complex;   /* 0: d kernels, 1: z kernels */
    int conj;         /* 1: Hermitian (L L^H); 0: L L^T */
    double tol;       /* absolute per-tile truncation threshold */
    int row, col;     /* tile coordinates, for messages */
    int row0, col0;   /* first matrix row / column of the tile (generate) */
    tile_build_t build;
    const tile_source_t *source;
};

extern struct starpu_codelet cl_generate; /* W tile */
extern struct starpu_codelet cl_potrf;    /* RW diagonal tile */
extern struct starpu_codelet cl_trsm;     /* RW A_ij, R L_jj */
extern struct starpu_codelet cl_syrk;     /* RW D_ii, R A_ij */
extern struct starpu_codelet cl_gemm;     /* RW A_ik, R A_ij, R A_kj */
extern struct starpu_codelet cl_trsv;     /* R L_jj, RW x_j (vector); args.row: 1 for L^* */
extern struct starpu_codelet cl_gemv;     /* R L_ij, R x, RW y (vectors); args.row: 1 for y -= L^* x */
extern struct starpu_codelet cl_vector_add; /* R partial, RW x (vectors): x += partial */

/* First POTRF failure seen on this rank: 0 if none, else 1 with the tile
 * index (diagonal block) and the 1-based column within it. */
int codelets_potrf_failure(int *tile, int *column);
/* Number of codelets completed on this rank (progress reports). */
long codelets_completed(void);
void codelets_reset(void);

#endif
