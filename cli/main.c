/*
 * main.c: the blrchol command, a client of the library (include/blrchol.h)
 * with the built-in matrices of docs/design/reference-matrices.md and Gmsh meshes
 * (bem/) as its assembly callback.  One MPI rank per process.
 * Exit codes: 0 ok, 2 bad input (options, not positive definite),
 * 3 out of memory (--node-mem), 4 terminated (SIGTERM, SIGINT), 1 anything
 * else.
 */
#include <math.h>
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

/* Everything one run holds, phase after phase. */
typedef struct run {
    options_t opt;
    int rank;
    bem_mesh_t mesh;
    bem_problem_t bem;
    blrchol_problem_t problem;
    int n, nrhs, is_complex;
    void *b, *x;             /* n x nrhs, column-major, original numbering */
    blrchol_report_t report; /* ~100 KB: per-rank peaks */
    char message[600];
} run_t;

/* The matrix: a point set, or the triangles of a mesh that every rank
 * reads (it is small next to the matrix). */
static int build_matrix(run_t *run)
{
    options_t *opt = &run->opt;
    if (opt->mesh_path) {
        if (bem_mesh_read(opt->mesh_path, &run->mesh, run->message, sizeof run->message) != 0)
            return BLRCHOL_BAD_INPUT;
        if (run->mesh.ignored_elements && run->rank == 0 && !opt->quiet)
            fprintf(stderr, "blrchol: warning: %s: %d elements that are not 3-node triangles ignored\n",
                    opt->mesh_path, run->mesh.ignored_elements);
        opt->n = run->mesh.ntriangles;
    }
    if ((opt->mesh_path ? bem_problem_init_mesh(&run->bem, &run->mesh, opt->kernel)
                        : bem_problem_init(&run->bem, opt->n, opt->geometry, opt->kernel)) != 0) {
        snprintf(run->message, sizeof run->message, "cannot build the problem (out of memory?)");
        return BLRCHOL_FAILED;
    }
    run->bem.diagonal_shift = opt->diagonal_shift;
    run->n = run->bem.n;
    return BLRCHOL_OK;
}

/* A problem that cannot fit is refused before its points are built:
 * status oom, exit 3, the figures (a typo in -n must not take the node). */
static int check_memory(run_t *run)
{
    const options_t *opt = &run->opt;
    const blrchol_scalar_t scalar = !bem_kernel_is_complex(opt->kernel)  ? BLRCHOL_REAL_SYMMETRIC
                                    : bem_kernel_is_hermitian(opt->kernel) ? BLRCHOL_COMPLEX_HERMITIAN
                                                                           : BLRCHOL_COMPLEX_SYMMETRIC;
    blrchol_report_t *rep = &run->report;
    const int nb = opt->nb ? opt->nb : blrchol_default_nb(opt->n, opt->dense);
    const int code =
        blrchol_check_memory(opt->n, nb, scalar, opt->node_mem, MPI_COMM_WORLD, rep->error, sizeof rep->error);
    if (code != BLRCHOL_OK) {
        rep->status = "oom";
        rep->n = opt->n, rep->nb = nb, rep->nb_auto = !opt->nb, rep->backward_error = NAN, rep->eps = opt->eps;
        MPI_Comm_size(MPI_COMM_WORLD, &rep->ranks);
    }
    return code;
}

/* Every rank agreed to stop during `phase`, outside the library's calls:
 * the report says so, as the library's own do. */
static int stopped_during(run_t *run, const char *phase)
{
    blrchol_report_t *rep = &run->report;
    rep->status = "terminated";
    rep->phase = phase;
    rep->progress = NAN;
    snprintf(rep->error, sizeof rep->error, "terminated during %s (SIGTERM or SIGINT)", phase);
    return BLRCHOL_TERMINATED;
}

/* b as --rhs says, and room for x. */
static int build_vectors(run_t *run)
{
    run->nrhs = run->opt.nrhs;
    run->is_complex = bem_kernel_is_complex(run->opt.kernel);
    const size_t bytes = (size_t)run->n * run->nrhs * (run->is_complex ? 16 : 8);
    run->b = malloc(bytes), run->x = calloc(1, bytes);
    if (!run->b || !run->x) {
        snprintf(run->message, sizeof run->message, "no memory for the right-hand sides");
        return BLRCHOL_FAILED;
    }
    if (rhs_build(run->opt.rhs, run->opt.seed, &run->bem, run->nrhs, run->is_complex, run->b, run->message,
                  sizeof run->message) != 0)
        return BLRCHOL_BAD_INPUT;
    return BLRCHOL_OK;
}

/* The library's view of the matrix: the built-in entries as its callback. */
static void describe_problem(run_t *run)
{
    const options_t *opt = &run->opt;
    run->problem = (blrchol_problem_t){
        .n = run->n,
        .scalar = !run->is_complex                      ? BLRCHOL_REAL_SYMMETRIC
                  : bem_kernel_is_hermitian(opt->kernel) ? BLRCHOL_COMPLEX_HERMITIAN
                                                         : BLRCHOL_COMPLEX_SYMMETRIC,
        .points = run->bem.points,
        .weights = opt->mesh_path ? run->mesh.areas : NULL,
        .assemble = bem_entries,
        .user = &run->bem,
        .kernel_name = bem_kernel_name(opt->kernel),
        .geometry_name = bem_geometry_name(opt->mesh_path ? BEM_MESH : opt->geometry),
    };
}

static blrchol_options_t factor_options(const options_t *opt)
{
    blrchol_options_t options;
    blrchol_options_init(&options);
    options.nb = opt->nb, options.eps = opt->eps, options.dense = opt->dense, options.compress = opt->compress;
    options.grid_rows = opt->p, options.memctl = opt->memctl, options.node_mem = opt->node_mem;
    options.mem_high = opt->mem_high, options.mem_low = opt->mem_low, options.growth_margin = opt->growth_margin;
    options.trace_path = opt->trace_path, options.verbose = !opt->quiet, options.no_step_sync = opt->no_step_sync;
    options.reserve = opt->reserve, options.plan_only = opt->plan;
    return options;
}

/* StarPU-MPI with the runtime options given on the command line; those
 * not given fall back to the environment inside the library.  A failed
 * start leaves no way to agree on an exit: abort. */
static int start_runtime(run_t *run, int *argc, char ***argv)
{
    blrchol_runtime_options_t runtime;
    blrchol_runtime_options_init(&runtime);
    runtime.task_window = run->opt.task_window;
    runtime.binding = run->opt.binding;
    runtime.mpi_polling = run->opt.mpi_polling;
    int started = blrchol_init_with(argc, argv, &runtime);
    if (started == BLRCHOL_BAD_INPUT)
        snprintf(run->message, sizeof run->message,
                 "BLRCHOL_BINDING must be auto or starpu, BLRCHOL_MPI_POLLING auto, nap or spin, and "
                 "STARPU_MPI_NDETACHED_SEND a positive integer (with 0 StarPU-MPI 1.3 never sends), or unset");
    else if (started != BLRCHOL_OK) {
        if (run->rank == 0)
            fprintf(stderr, "blrchol: StarPU-MPI failed to start (check STARPU_NCPU and the MPI installation)\n");
        MPI_Abort(MPI_COMM_WORLD, BLRCHOL_FAILED);
    }
    return started;
}

/* Factorise (or load, and save when asked) and solve; the report is kept
 * and StarPU stopped, so that the check has the cores to itself. */
static int factor_and_solve(run_t *run)
{
    const options_t *opt = &run->opt;
    const blrchol_options_t options = factor_options(opt);
    blrchol_factor_t *factor;
    int code = opt->load_factor ? blrchol_load(&run->problem, &options, opt->load_factor, &factor)
                                : blrchol_factorize(&run->problem, &options, &factor);
    if (code == BLRCHOL_OK && opt->save_factor)
        code = blrchol_save(factor, opt->save_factor);
    if (code == BLRCHOL_OK && !opt->plan)
        code = blrchol_solve(factor, run->nrhs, run->b, run->x);
    blrchol_get_report(factor, &run->report);
    blrchol_free(factor);
    blrchol_finalize();
    return code;
}

/* --check: the backward error against the exact entries. */
static int check_residual(run_t *run)
{
    double start = MPI_Wtime();
    if (run->rank == 0 && !run->opt.quiet)
        fprintf(stderr, "blrchol: checking the residual against the exact matrix\n");
    run->report.backward_error = blrchol_backward_error(&run->problem, run->nrhs, run->x, run->b,
                                                        run->report.workers_per_rank, MPI_COMM_WORLD);
    run->report.time_check = MPI_Wtime() - start;
    return blrchol_termination_requested(MPI_COMM_NULL) ? stopped_during(run, "check") : BLRCHOL_OK;
}

/* --solution and --rhs-out, on rank 0; a failure goes into the report. */
static int write_solution(run_t *run)
{
    const options_t *opt = &run->opt;
    if (write_vectors(opt->solution_path, run->x, run->n, run->nrhs, run->is_complex) == 0 &&
        write_vectors(opt->rhs_out_path, run->b, run->n, run->nrhs, run->is_complex) == 0)
        return BLRCHOL_OK;
    snprintf(run->report.error, sizeof run->report.error, "cannot write %s or %s",
             opt->solution_path ? opt->solution_path : "-", opt->rhs_out_path ? opt->rhs_out_path : "-");
    run->report.status = "error";
    return BLRCHOL_FAILED;
}

/* The error line, the summary and --json, on rank 0: the exit code, made
 * a failure when the JSON file cannot be written. */
static int report(run_t *run, int code)
{
    const options_t *opt = &run->opt;
    if (code != BLRCHOL_OK)
        fprintf(stderr, "blrchol: %s\n", run->report.error);
    if (opt->plan && code == BLRCHOL_OK)
        blrchol_report_plan(&run->report, stdout);
    else if ((!opt->quiet || code != BLRCHOL_OK) && run->report.p > 0) /* p: the library laid out a grid */
        blrchol_report_summary(&run->report, stdout);
    if (opt->json_path) {
        FILE *out = strcmp(opt->json_path, "-") ? fopen(opt->json_path, "w") : stdout;
        if (!out) {
            fprintf(stderr, "blrchol: cannot write %s\n", opt->json_path);
            code = code ? code : BLRCHOL_FAILED;
        } else {
            blrchol_report_json(&run->report, out);
            if (out != stdout)
                fclose(out);
        }
    }
    fflush(stdout);
    return code;
}

static void release(run_t *run)
{
    free(run->b);
    free(run->x);
    bem_problem_free(&run->bem);
    bem_mesh_free(&run->mesh);
}

/* The report on rank 0, then everything released: the exit code. */
static int finish(run_t *run, int code)
{
    if (run->rank == 0)
        code = report(run, code);
    release(run);
    MPI_Finalize();
    return code;
}

int main(int argc, char **argv)
{
    blas_guard_complex(argc, argv);
    blrchol_configure_malloc(); /* before MPI starts its threads */
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    static run_t run; /* the report is large */
    MPI_Comm_rank(MPI_COMM_WORLD, &run.rank);
    /* A batch system's SIGTERM (or ^C) ends the run with its JSON, status
     * "terminated", exit 4.  After MPI_Init, which may install handlers of
     * its own. */
    blrchol_catch_termination_signals();

    int code = options_parse(&run.opt, argc, argv, run.rank == 0);
    if (code)
        return quit(run.rank, code == 1 ? BLRCHOL_OK : BLRCHOL_BAD_INPUT, NULL);
    if (!run.opt.mesh_path && (code = check_memory(&run)) != BLRCHOL_OK)
        return finish(&run, code);
    if ((code = build_matrix(&run)) != BLRCHOL_OK || (code = build_vectors(&run)) != BLRCHOL_OK)
        return quit(run.rank, code, run.message);
    describe_problem(&run);
    if (blrchol_termination_requested(MPI_COMM_WORLD)) {
        run.report.n = run.n, run.report.backward_error = NAN;
        return finish(&run, stopped_during(&run, "generate"));
    }
    if ((code = start_runtime(&run, &argc, &argv)) != BLRCHOL_OK)
        return quit(run.rank, code, run.message);

    code = factor_and_solve(&run);
    if (code == BLRCHOL_OK && run.opt.check)
        code = check_residual(&run);
    if (code == BLRCHOL_OK && run.rank == 0 && !run.opt.plan)
        code = write_solution(&run);
    return finish(&run, code);
}
