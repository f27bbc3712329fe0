/*
 * codelets.h: the StarPU codelets of the factorisation and the solves.  Each
 * is a thin wrapper: unpack the buffers, call the plain kernel of
 * tile_kernels.h (or the compression of lowrank.h), record the outcome.
 * They know StarPU and tiles, not the distribution.  One precision-generic
 * source (t_codelets.c) gives the d and the z codelets; the precision is
 * chosen once, with the table of codelets the algorithms submit.
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

/* The arguments of each codelet, passed by value.  `conj` = 1: Hermitian
 * (L L^H); 0: L L^T.  `tol`: absolute per-tile truncation threshold. */
struct generate_args {
    int row, col;         /* tile coordinates: diagonal tiles stay dense */
    int row0, col0;       /* first matrix row / column of the tile */
    tile_build_t build;
    double tol;
    int conj;
    const tile_source_t *source;
};
struct potrf_args { int tile; int conj; };   /* tile: the diagonal tile's index, for the failure report */
/* row, col: the tile written, for the failure report. */
struct trsm_args { int row, col; int conj; };
struct syrk_args { int row, col; int conj; };
struct gemm_args { int row, col; double tol; int conj; };
struct trsv_args { int conj; int adjoint; }; /* adjoint = 1: solve with L^* */
struct gemv_args { int conj; int adjoint; }; /* adjoint = 1: y -= L^* x */

/* The codelets of one precision. */
typedef struct codelets {
    struct starpu_codelet *generate;   /* W tile; generate_args */
    struct starpu_codelet *potrf;      /* RW diagonal tile; potrf_args */
    struct starpu_codelet *trsm;       /* RW A_mk, R L_kk; trsm_args */
    struct starpu_codelet *syrk;       /* RW D_nn, R A_nk; syrk_args */
    struct starpu_codelet *gemm;       /* RW A_mn, R A_mk, R A_nk; gemm_args */
    struct starpu_codelet *trsv;       /* R L_kk, RW x_k (vector); trsv_args */
    struct starpu_codelet *gemv;       /* R L_mk, R x, RW y (vectors); gemv_args */
    struct starpu_codelet *vector_add; /* R partial, RW x (vectors): x += partial */
} codelets_t;

/* The codelets for complex entries (is_complex = 1) or real ones. */
const codelets_t *codelets_of_precision(int is_complex);

/* First POTRF failure seen on this rank: 0 if none, else 1 with the tile
 * index (diagonal block) and the 1-based column within it. */
int codelets_potrf_failure(int *tile, int *column);
/* The kernels whose failures travel (a failed allocation of a workspace,
 * LAPACK not converging): the first one seen on this rank. */
typedef enum { KERNEL_COMPRESS = 1, KERNEL_TRSM, KERNEL_SYRK, KERNEL_GEMM } kernel_kind_t;
typedef struct kernel_failure {
    kernel_kind_t kernel; /* 0: none */
    int row, col;         /* the tile it wrote */
    int status;           /* the kernel's return: -1 no memory, -2 LAPACK failed */
} kernel_failure_t;
/* 0 if no kernel failed on this rank, else 1 and the first failure. */
int codelets_kernel_failure(kernel_failure_t *out);
const char *kernel_kind_name(kernel_kind_t kernel);
/* How many tiles lr_compress_aca_route built each way on this rank since
 * the last reset, indexed by lr_route_t (lowrank.h). */
void codelets_compression_routes(long counts[LR_ROUTES]);
/* Number of generation and factorisation codelets that did their work on
 * this rank (progress reports). */
long codelets_completed(void);
void codelets_reset(void);

/* ---- for the codelets of both precisions (t_codelets.c) ------------------ */

extern const codelets_t codelets_d, codelets_z;
extern struct starpu_codelet cl_vector_add;
/* Whether to run a generation or factorisation task (counted as completed
 * if so): 0 once the run is lost (out of memory, not positive definite, a
 * kernel failed, termination requested), so that the remaining tasks
 * finish at once and every rank reports. */
int codelet_factor_task_starts(void);
/* Once termination is requested, empty the tile a generation or
 * factorisation task wrote (its buffer): the copies that the tasks still
 * submitted send then carry no entries, and the graph drains without
 * moving tiles nobody will use. */
void codelet_drop_if_terminated(void *written);
/* A solve task: whether to run it. */
int codelet_solve_task_starts(void);
/* POTRF of diagonal tile `tile` failed at 1-based `column`: the first one kept. */
void codelet_note_potrf_failure(int tile, int column);
/* What a kernel returned on tile (row, col): a non-zero status is kept as
 * the rank's kernel failure (the first one), unless the tile allocator
 * refused (that is the run's oom).  Also where tests inject faults: in a
 * build with BLRCHOL_FAULT_INJECTION, BLRCHOL_FAULT=KERNEL:N makes the
 * N-th call for that kernel report -2. */
void codelet_note_kernel_status(kernel_kind_t kernel, int row, int col, int status);
/* An off-diagonal tile compressed by ACA went `route`. */
void codelet_note_compression_route(lr_route_t route);

#endif
