/*
 * main.c: the blrchol command, a client of the library (include/blrchol.h)
 * with the built-in matrices of docs/design/reference-matrices.md and Gmsh meshes
 * (bem/) as its assembly callback.  One MPI rank per process.
 * Exit codes: 0 ok, 2 bad input (options, not positive definite),
 * 3 out of memory (--node-mem), 1 anything else.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "cli/blas_guard.h"
#include "cli/options.h"
#include "cli/rhs.h"
#include "bem/bem.h"
#include "include/blrchol.h"

/* The built-in matrices as a user callback: entries in the original
 * numbering straight from bem/. */
static void bem_entries(const blrchol_problem_t *problem, const int *rows, int nrows, const int *cols, int ncols,
                        void *out, int ld)
{
    const bem_problem_t *bem = problem->user;
    if (problem->scalar == BLRCHOL_REAL_SYMMETRIC)
        bem_assemble_d(bem, rows, nrows, cols, ncols, out, ld);
    else
        bem_assemble_z(bem, rows, nrows, cols, ncols, out, ld);
}

/* A fixed pseudo-random right-hand side in [-1, 1] (splitmix64), the same
 * on every rank and for every grid. */
static void make_rhs(void *b, int n, int is_complex, unsigned long seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    double *reals = b;
    for (long k = 0; k < (long)n * (is_complex ? 2 : 1); k++) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        reals[k] = 2.0 * ((z >> 11) * 0x1.0p-53) - 1.0;
    }
}

/* --rhs constant: the potential f = 1 everywhere; --rhs plane-wave: the
 * incident field f = exp(i k z) of a plane wave along z (complex kernels
 * only: options.c).  On a mesh the matrix is a Galerkin form (rows carry
 * the triangle's area a_i, see bem_problem_init_mesh): b_i = a_i f(c_i).
 * On a point set it is collocation (the weight is inside A_ij):
 * b_i = f(x_i).  Either way x is the charge density. */
static void weighted_rhs(void *b, const bem_problem_t *p, int is_complex, int plane_wave)
{
    double *values = b;
    for (int i = 0; i < p->n; i++) {
        double weight = p->mesh ? p->mesh->areas[i] : 1.0;
        double phase = plane_wave ? p->wavenumber * p->points[3 * (size_t)i + 2] : 0;
        if (is_complex)
            values[2 * i] = weight * cos(phase), values[2 * i + 1] = weight * sin(phase);
        else
            values[i] = weight;
    }
}

/* n lines of `columns` values each ("re im" pairs if complex); v is
 * column-major, as b and x are.  0 on success (or no path). */
static int write_vectors(const char *path, const void *v, int n, int columns, int is_complex)
{
    if (!path)
        return 0;
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    const double *reals = v;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < columns; k++) {
            size_t at = (size_t)k * n + i;
            const char *end = k + 1 < columns ? " " : "\n";
            if (is_complex)
                fprintf(out, "%.17g %.17g%s", reals[2 * at], reals[2 * at + 1], end);
            else
                fprintf(out, "%.17g%s", reals[at], end);
        }
    return fclose(out);
}

/* Print a message on rank 0 and end with `code`. */
static int quit(int rank, int code, const char *message)
{
    if (rank == 0 && message)
        fprintf(stderr, "blrchol: %s\n", message);
    MPI_Finalize();
    return code;
}

int main(int argc, char **argv)
{
    blas_guard_complex(argc, argv);
    blrchol_configure_malloc(); /* before MPI starts its threads */
    int provided, rank;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    options_t opt;
    int parsed = options_parse(&opt, argc, argv, rank == 0);
    if (parsed)
        return quit(rank, parsed == 1 ? BLRCHOL_OK : BLRCHOL_BAD_INPUT, NULL);

    /* The matrix: a point set, or the triangles of a mesh that every rank
     * reads (it is small next to the matrix). */
    bem_mesh_t mesh = {0};
    bem_problem_t bem;
    char message[600];
    if (opt.mesh_path) {
        if (bem_mesh_read(opt.mesh_path, &mesh, message, sizeof message) != 0)
            return quit(rank, BLRCHOL_BAD_INPUT, message);
        if (mesh.ignored_elements && rank == 0 && !opt.quiet)
            fprintf(stderr, "blrchol: warning: %s: %d elements that are not 3-node triangles ignored\n", opt.mesh_path,
                    mesh.ignored_elements);
        opt.n = mesh.ntriangles;
    }
    if ((opt.mesh_path ? bem_problem_init_mesh(&bem, &mesh, opt.kernel)
                       : bem_problem_init(&bem, opt.n, opt.geometry, opt.kernel)) != 0)
        return quit(rank, BLRCHOL_FAILED, "cannot build the problem (out of memory?)");
    bem.diagonal_shift = opt.diagonal_shift;
    const int n = bem.n, nrhs = opt.nrhs, is_complex = bem_kernel_is_complex(opt.kernel);
    const size_t vector_bytes = (size_t)n * nrhs * (is_complex ? 16 : 8);

    void *b = malloc(vector_bytes), *x = calloc(1, vector_bytes);
    if (!b || !x)
        return quit(rank, BLRCHOL_FAILED, "no memory for the right-hand sides");
    for (int k = 0; k < nrhs; k++) {
        char *column = (char *)b + vector_bytes / nrhs * k;
        if (!opt.rhs)
            make_rhs(column, n, is_complex, opt.seed + k);
        else if (!strcmp(opt.rhs, "constant") || !strcmp(opt.rhs, "plane-wave"))
            weighted_rhs(column, &bem, is_complex, !strcmp(opt.rhs, "plane-wave"));
    }
    if (opt.rhs && strcmp(opt.rhs, "constant") && strcmp(opt.rhs, "plane-wave") &&
        rhs_read(opt.rhs, b, n, nrhs, is_complex, message, sizeof message) != 0)
        return quit(rank, BLRCHOL_BAD_INPUT, message);

    blrchol_problem_t problem = {
        .n = n,
        .scalar = !is_complex ? BLRCHOL_REAL_SYMMETRIC
                  : bem_kernel_is_hermitian(opt.kernel) ? BLRCHOL_COMPLEX_HERMITIAN
                                                        : BLRCHOL_COMPLEX_SYMMETRIC,
        .points = bem.points,
        .weights = opt.mesh_path ? mesh.areas : NULL,
        .assemble = bem_entries,
        .user = &bem,
        .kernel_name = bem_kernel_name(opt.kernel),
        .geometry_name = bem_geometry_name(opt.mesh_path ? BEM_MESH : opt.geometry),
    };
    blrchol_options_t options;
    blrchol_options_init(&options);
    options.nb = opt.nb, options.eps = opt.eps, options.dense = opt.dense, options.compress = opt.compress;
    options.grid_rows = opt.p, options.memctl = opt.memctl, options.node_mem = opt.node_mem;
    options.mem_high = opt.mem_high, options.mem_low = opt.mem_low, options.growth_margin = opt.growth_margin;
    options.trace_path = opt.trace_path, options.verbose = !opt.quiet, options.no_step_sync = opt.no_step_sync;

    /* blrchol_init reads the task window, the binding and the MPI thread's
     * polling from the environment. */
    if (opt.task_window >= 0) {
        char text[32];
        snprintf(text, sizeof text, "%d", opt.task_window);
        setenv("BLRCHOL_TASK_WINDOW", text, 1);
    }
    if (opt.binding)
        setenv("BLRCHOL_BINDING", opt.binding, 1);
    if (opt.mpi_polling)
        setenv("BLRCHOL_MPI_POLLING", opt.mpi_polling, 1);
    int started = blrchol_init(&argc, &argv);
    if (started == BLRCHOL_BAD_INPUT)
        return quit(rank, BLRCHOL_BAD_INPUT,
                    "BLRCHOL_BINDING must be auto or starpu, BLRCHOL_MPI_POLLING auto, nap or spin (or unset)");
    if (started != BLRCHOL_OK) {
        if (rank == 0)
            fprintf(stderr, "blrchol: StarPU-MPI failed to start (check STARPU_NCPU and the MPI installation)\n");
        MPI_Abort(MPI_COMM_WORLD, BLRCHOL_FAILED);
    }
    blrchol_factor_t *factor;
    int code = opt.load_factor ? blrchol_load(&problem, &options, opt.load_factor, &factor)
                               : blrchol_factorize(&problem, &options, &factor);
    if (code == BLRCHOL_OK && opt.save_factor)
        code = blrchol_save(factor, opt.save_factor);
    if (code == BLRCHOL_OK)
        code = blrchol_solve(factor, nrhs, b, x);
    static blrchol_report_t report; /* ~100 KB: per-rank peaks */
    blrchol_get_report(factor, &report);
    blrchol_free(factor);
    /* The check runs without StarPU, whose MPI thread would take a core. */
    blrchol_finalize();

    if (code == BLRCHOL_OK && opt.check) {
        double start = MPI_Wtime();
        if (rank == 0 && !opt.quiet)
            fprintf(stderr, "blrchol: checking the residual against the exact matrix\n");
        report.backward_error = blrchol_backward_error(&problem, nrhs, x, b, report.workers_per_rank, MPI_COMM_WORLD);
        report.time_check = MPI_Wtime() - start;
    }
    if (code == BLRCHOL_OK && rank == 0 &&
        (write_vectors(opt.solution_path, x, n, nrhs, is_complex) ||
         write_vectors(opt.rhs_out_path, b, n, nrhs, is_complex))) {
        snprintf(report.error, sizeof report.error, "cannot write %s or %s", opt.solution_path ? opt.solution_path : "-",
                 opt.rhs_out_path ? opt.rhs_out_path : "-");
        code = BLRCHOL_FAILED;
        report.status = "error";
    }
    if (rank == 0) {
        if (code != BLRCHOL_OK)
            fprintf(stderr, "blrchol: %s\n", report.error);
        if (!opt.quiet || code != BLRCHOL_OK)
            blrchol_report_summary(&report, stdout);
        if (opt.json_path) {
            FILE *out = strcmp(opt.json_path, "-") ? fopen(opt.json_path, "w") : stdout;
            if (!out) {
                fprintf(stderr, "blrchol: cannot write %s\n", opt.json_path);
                code = code ? code : BLRCHOL_FAILED;
            } else {
                blrchol_report_json(&report, out);
                if (out != stdout)
                    fclose(out);
            }
        }
        fflush(stdout);
    }
    free(b);
    free(x);
    bem_problem_free(&bem);
    bem_mesh_free(&mesh);
    MPI_Finalize();
    return code;
}
