/*
 * user_kernel.c: blrchol as a library with the user's own kernel.
 *
 * The single-layer Laplace potential on N points of the unit sphere:
 *     A_ij = w / (4 pi |x_i - x_j|),   A_ii = R / 2   (w = 4 pi / N, R = sqrt(w / pi))
 * solved for the constant potential b_i = 1: the exact charge density
 * is 1, so x_i ~ 1.  Build and run (after `make install PREFIX=$HOME/blrchol`):
 *     mpicc user_kernel.c $(pkg-config --cflags --libs blrchol) -lm -o user_kernel
 *     STARPU_NCPU=1 mpirun -np 2 ./user_kernel 4000 x.txt
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <blrchol.h>

struct sphere {
    double weight, radius; /* w and R */
};

/* out[r + c ld] = A(rows[r], cols[c]): any block, called from many threads. */
static void laplace(const blrchol_problem_t *pb, const int *rows, int nrows, const int *cols, int ncols, void *out,
                    int ld)
{
    const struct sphere *s = pb->user;
    double *a = out;
    for (int c = 0; c < ncols; c++)
        for (int r = 0; r < nrows; r++) {
            const double *x = pb->points + 3 * rows[r], *y = pb->points + 3 * cols[c];
            double d = sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                            (x[2] - y[2]) * (x[2] - y[2]));
            a[r + (size_t)c * ld] = rows[r] == cols[c] ? s->radius / 2 : s->weight / (4 * M_PI * d);
        }
}

int main(int argc, char **argv)
{
    blrchol_configure_malloc(); /* before any thread: one malloc arena */
    /* StarPU's runtime options: those left unset follow BLRCHOL_TASK_WINDOW,
     * BLRCHOL_BINDING and BLRCHOL_MPI_POLLING (blrchol_init does just that). */
    blrchol_runtime_options_t runtime;
    blrchol_runtime_options_init(&runtime);
    runtime.binding = "auto"; /* each rank's StarPU threads on cores of their own */
    if (blrchol_init_with(&argc, &argv, &runtime) != BLRCHOL_OK)
        return 1;
    int n = argc > 1 ? atoi(argv[1]) : 4000, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    /* Fibonacci points on the unit sphere, each with the same weight. */
    double *points = malloc(3 * sizeof(double) * n), *b = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    struct sphere sphere = {.weight = 4 * M_PI / n, .radius = sqrt(4.0 / n)};
    for (int i = 0; i < n; i++) {
        double z = 1 - (2.0 * i + 1) / n, rho = sqrt(1 - z * z), phi = i * M_PI * (3 - sqrt(5.0));
        points[3 * i] = rho * cos(phi), points[3 * i + 1] = rho * sin(phi), points[3 * i + 2] = z;
        b[i] = 1;
    }
    blrchol_problem_t problem = {.n = n, .scalar = BLRCHOL_REAL_SYMMETRIC, .points = points,
                                 .assemble = laplace, .user = &sphere, .kernel_name = "my-laplace"};
    blrchol_options_t options;
    blrchol_options_init(&options); /* nb from n, eps 1e-8, memory control on */
    options.eps = 1e-8;

    blrchol_factor_t *factor;
    int code = blrchol_factorize(&problem, &options, &factor);
    if (code == BLRCHOL_OK)
        code = blrchol_solve(factor, 1, b, x);
    blrchol_report_t *report = malloc(sizeof *report);
    blrchol_get_report(factor, report);
    if (rank == 0 && code != BLRCHOL_OK)
        fprintf(stderr, "user_kernel: %s\n", blrchol_error(factor));
    blrchol_free(factor);

    if (code == BLRCHOL_OK) {
        report->backward_error = blrchol_backward_error(&problem, 1, x, b, 1, MPI_COMM_WORLD);
        double mean = 0;
        for (int i = 0; i < n; i++)
            mean += x[i] / n;
        if (rank == 0) {
            blrchol_report_summary(report, stdout);
            printf("mean charge density %.6f (exact 1)\n", mean);
            FILE *out = argc > 2 ? fopen(argv[2], "w") : NULL;
            for (int i = 0; out && i < n; i++)
                fprintf(out, "%.17g\n", x[i]);
            if (out)
                fclose(out);
        }
    }
    free(report), free(points), free(b), free(x);
    blrchol_finalize();
    return code;
}
