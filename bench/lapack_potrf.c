/*
 * lapack_potrf: the LAPACK baseline for the dense factorisation: assemble
 * the same matrix as blrchol (original numbering) and time potrf on it with
 * the BLAS's own threads.  Prints one JSON object.
 *   bench/lapack_potrf N GEOMETRY KERNEL THREADS
 */
#include <complex.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "bem/bem.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N GEOMETRY KERNEL THREADS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), threads = atoi(argv[4]);
    bem_geometry_t geometry;
    bem_kernel_t kernel;
    bem_problem_t p;
    if (n < 1 || bem_geometry_parse(argv[2], &geometry) || bem_kernel_parse(argv[3], &kernel) ||
        bem_problem_init(&p, n, geometry, kernel)) {
        fprintf(stderr, "lapack_potrf: bad arguments\n");
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(threads);
#endif
    int complex_kernel = bem_kernel_is_complex(kernel);
    int *all = malloc(n * sizeof *all);
    for (int k = 0; k < n; k++)
        all[k] = k;
    void *a = malloc((size_t)n * n * (complex_kernel ? 16 : 8));
    if (!a) {
        fprintf(stderr, "lapack_potrf: no memory for the dense matrix\n");
        return 1;
    }
    if (complex_kernel)
        bem_assemble_z(&p, all, n, all, n, a, n);
    else
        bem_assemble_d(&p, all, n, all, n, a, n);
    double start = now();
    int info = complex_kernel ? LAPACKE_zpotrf(LAPACK_COL_MAJOR, 'L', n, a, n)
                              : LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, a, n);
    double seconds = now() - start;
    double flops = (double)n * n * n / 3.0 * (complex_kernel ? 4 : 1);
    printf("{\"n\": %d, \"threads\": %d, \"info\": %d, \"time_factor\": %.6f, \"gflops_factor\": %.3f}\n", n, threads,
           info, seconds, flops / seconds * 1e-9);
    free(a);
    free(all);
    bem_problem_free(&p);
    return info != 0;
}
