/*
 * scalapack_potrf: the distributed dense baseline of bench/vs-dense.  The
 * same matrix as blrchol (bem/, original numbering) on a P x Q BLACS grid,
 * 2D block-cyclic with blocks of NB, factorised by pdpotrf; optionally the
 * backward error of docs/design/reference-matrices.md from a pdpotrs solve against a kept
 * copy of A.  One rank per process, one BLAS thread each.  Prints one JSON
 * object (rank 0).
 *   mpirun -np P*Q build/scalapack_potrf N NB P GEOMETRY KERNEL [check]
 * Real kernels only (laplace, sqexp): helmholtz has no ScaLAPACK Cholesky.
 */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "bem/bem.h"

/* BLACS and ScaLAPACK have no C header in most distributions. */
void Cblacs_pinfo(int *me, int *nprocs);
void Cblacs_get(int context, int what, int *value);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *context, const int *lld, int *info);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia, const int *ja,
              const int *desca, double *b, const int *ib, const int *jb, const int *descb, int *info);
void pdgemv_(const char *trans, const int *m, const int *n, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *x, const int *ix, const int *jx, const int *descx,
             const int *incx, const double *beta, double *y, const int *iy, const int *jy, const int *descy,
             const int *incy);
double pdlange_(const char *norm, const int *m, const int *n, const double *a, const int *ia, const int *ja,
                const int *desca, double *work);
void pdnrm2_(const int *n, double *norm, const double *x, const int *ix, const int *jx, const int *descx,
             const int *incx);

/* Global index of local index `local` along a dimension distributed in
 * blocks of nb over nprocs processes, on process `me`. */
static int global_index(int local, int nb, int me, int nprocs)
{
    return (local / nb * nprocs + me) * nb + local % nb;
}

/* The local part of A: block by block, each assembled by bem/ from its
 * global row and column indices. */
static void assemble_local(const bem_problem_t *p, int n, int nb, int myrow, int mycol, int nprow, int npcol,
                           int local_rows, int local_cols, double *a)
{
    int *rows = malloc(nb * sizeof *rows), *cols = malloc(nb * sizeof *cols);
    for (int lj = 0; lj < local_cols; lj += nb) {
        int ncols = local_cols - lj < nb ? local_cols - lj : nb;
        for (int c = 0; c < ncols; c++)
            cols[c] = global_index(lj + c, nb, mycol, npcol);
        for (int li = 0; li < local_rows; li += nb) {
            int nrows = local_rows - li < nb ? local_rows - li : nb;
            for (int r = 0; r < nrows; r++)
                rows[r] = global_index(li + r, nb, myrow, nprow);
            bem_assemble_d(p, rows, nrows, cols, ncols, a + li + (size_t)lj * local_rows, local_rows);
        }
    }
    (void)n;
    free(rows);
    free(cols);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int me, nprocs;
    Cblacs_pinfo(&me, &nprocs);
    bem_geometry_t geometry;
    bem_kernel_t kernel;
    int n = argc > 5 ? atoi(argv[1]) : 0, nb = argc > 5 ? atoi(argv[2]) : 0, nprow = argc > 5 ? atoi(argv[3]) : 0;
    if (argc < 6 || n < 1 || nb < 1 || nprow < 1 || nprocs % nprow || bem_geometry_parse(argv[4], &geometry) ||
        bem_kernel_parse(argv[5], &kernel) || bem_kernel_is_complex(kernel)) {
        if (me == 0)
            fprintf(stderr, "usage: scalapack_potrf N NB P GEOMETRY KERNEL [check]  (P divides the ranks; real "
                            "kernels only)\n");
        MPI_Finalize();
        return 2;
    }
    int check = argc > 6 && strcmp(argv[6], "check") == 0;
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    int npcol = nprocs / nprow, context, myrow, mycol, zero = 0, one = 1, info;
    Cblacs_get(-1, 0, &context);
    Cblacs_gridinit(&context, "Row", nprow, npcol);
    Cblacs_gridinfo(context, &nprow, &npcol, &myrow, &mycol);

    bem_problem_t p;
    if (bem_problem_init(&p, n, geometry, kernel) != 0)
        MPI_Abort(MPI_COMM_WORLD, 1);
    int local_rows = numroc_(&n, &nb, &myrow, &zero, &nprow), local_cols = numroc_(&n, &nb, &mycol, &zero, &npcol);
    int lld = local_rows > 1 ? local_rows : 1, desc[9], vec_desc[9];
    descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &context, &lld, &info);
    descinit_(vec_desc, &n, &one, &nb, &nb, &zero, &zero, &context, &lld, &info);
    size_t local_bytes = (size_t)local_rows * local_cols * sizeof(double);
    double *a = malloc(local_bytes ? local_bytes : 1), *a_copy = NULL;
    if (!a)
        MPI_Abort(MPI_COMM_WORLD, 1);
    assemble_local(&p, n, nb, myrow, mycol, nprow, npcol, local_rows, local_cols, a);
    if (check) {
        a_copy = malloc(local_bytes ? local_bytes : 1);
        if (!a_copy)
            MPI_Abort(MPI_COMM_WORLD, 1);
        memcpy(a_copy, a, local_bytes);
    }

    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    pdpotrf_("L", &n, a, &one, &one, desc, &info);
    MPI_Barrier(MPI_COMM_WORLD);
    double seconds = MPI_Wtime() - start;

    double backward_error = NAN;
    if (check && info == 0) {
        /* b: pseudo-random in [-1, 1] from its global index (the same on any
         * grid); x = A^{-1} b; r = A x - b with the kept copy of A. */
        double *b = malloc((local_rows ? local_rows : 1) * sizeof *b);
        double *x = malloc((local_rows ? local_rows : 1) * sizeof *x);
        double *r = malloc((local_rows ? local_rows : 1) * sizeof *r);
        for (int li = 0; li < local_rows; li++) {
            uint64_t z = (uint64_t)global_index(li, nb, myrow, nprow) * 0x9E3779B97F4A7C15ull + 12345;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            b[li] = x[li] = r[li] = 2.0 * ((z ^ (z >> 31)) >> 11) / 9007199254740992.0 - 1.0;
        }
        pdpotrs_("L", &n, &one, a, &one, &one, desc, x, &one, &one, vec_desc, &info);
        double plus = 1.0, minus = -1.0, norm_r, norm_x, norm_b;
        /* The copy holds the whole symmetric matrix: a plain gemv. */
        pdgemv_("N", &n, &n, &plus, a_copy, &one, &one, desc, x, &one, &one, vec_desc, &one, &minus, r, &one, &one,
                vec_desc, &one);
        double *work = malloc((local_rows + local_cols + 1) * sizeof *work);
        double norm_a = pdlange_("F", &n, &n, a_copy, &one, &one, desc, work);
        pdnrm2_(&n, &norm_r, r, &one, &one, vec_desc, &one);
        pdnrm2_(&n, &norm_x, x, &one, &one, vec_desc, &one);
        pdnrm2_(&n, &norm_b, b, &one, &one, vec_desc, &one);
        /* pdnrm2 leaves the result on the processes of the vector's column only. */
        double norms[3] = {mycol == 0 ? norm_r : 0, mycol == 0 ? norm_x : 0, mycol == 0 ? norm_b : 0}, global[3];
        MPI_Allreduce(norms, global, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        backward_error = global[0] / (norm_a * global[1] + global[2]);
        free(work);
        free(b);
        free(x);
        free(r);
    }

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double mine[2] = {(double)local_bytes, usage.ru_maxrss * 1024.0}, peak[2];
    MPI_Reduce(mine, peak, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (me == 0) {
        printf("{\"n\": %d, \"nb\": %d, \"p\": %d, \"q\": %d, \"info\": %d, \"time_factor\": %.6f, "
               "\"gflops_factor\": %.3f, \"matrix_bytes_per_rank\": %.0f, \"peak_rss_bytes\": %.0f, "
               "\"backward_error\": ",
               n, nb, nprow, npcol, info, seconds, (double)n * n * n / 3.0 / seconds * 1e-9, peak[0], peak[1]);
        if (isnan(backward_error))
            printf("null}\n");
        else
            printf("%.6e}\n", backward_error);
    }
    free(a);
    free(a_copy);
    bem_problem_free(&p);
    Cblacs_gridexit(context);
    MPI_Finalize();
    return info != 0;
}
