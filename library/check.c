#include "library/check.h"

#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <cblas.h>

#include "runtime/termination.h"

enum { ROW_BLOCK = 32, COL_BLOCK = 2048 };

struct residual_job {
    const blrchol_problem_t *problem;
    int is_complex;
    const void *x, *b;
    const int *identity;   /* 0 .. n-1: index lists for the callback */
    int row_begin, row_end;
    atomic_int next_block;
    pthread_mutex_t lock;
    double residual2, norm_a2;
};

/* One thread: take row blocks until none is left. */
static void *residual_worker(void *arg)
{
    struct residual_job *job = arg;
    const int n = job->problem->n;
    const size_t esz = job->is_complex ? sizeof(double complex) : sizeof(double);
    void *block = malloc((size_t)ROW_BLOCK * COL_BLOCK * esz);
    void *ax = malloc(ROW_BLOCK * esz);
    double residual2 = 0, norm_a2 = 0;
    for (;;) {
        int row0 = job->row_begin + ROW_BLOCK * atomic_fetch_add(&job->next_block, 1);
        if (row0 >= job->row_end || termination_requested())
            break;
        int m = job->row_end - row0 < ROW_BLOCK ? job->row_end - row0 : ROW_BLOCK;
        for (int r = 0; r < m; r++)
            if (job->is_complex)
                ((double complex *)ax)[r] = 0;
            else
                ((double *)ax)[r] = 0;
        for (int col0 = 0; col0 < n; col0 += COL_BLOCK) {
            int ncols = n - col0 < COL_BLOCK ? n - col0 : COL_BLOCK;
            if (job->is_complex) {
                double complex *a = block;
                const double complex one = 1;
                job->problem->assemble(job->problem, job->identity + row0, m, job->identity + col0, ncols, a, m);
                cblas_zgemv(CblasColMajor, CblasNoTrans, m, ncols, &one, a, m,
                            (const double complex *)job->x + col0, 1, &one, ax, 1);
                for (size_t k = 0; k < (size_t)m * ncols; k++)
                    norm_a2 += creal(a[k]) * creal(a[k]) + cimag(a[k]) * cimag(a[k]);
            } else {
                double *a = block;
                job->problem->assemble(job->problem, job->identity + row0, m, job->identity + col0, ncols, a, m);
                cblas_dgemv(CblasColMajor, CblasNoTrans, m, ncols, 1.0, a, m, (const double *)job->x + col0, 1,
                            1.0, ax, 1);
                for (size_t k = 0; k < (size_t)m * ncols; k++)
                    norm_a2 += a[k] * a[k];
            }
        }
        for (int r = 0; r < m; r++) {
            if (job->is_complex) {
                double complex d = ((double complex *)ax)[r] - ((const double complex *)job->b)[row0 + r];
                residual2 += creal(d) * creal(d) + cimag(d) * cimag(d);
            } else {
                double d = ((double *)ax)[r] - ((const double *)job->b)[row0 + r];
                residual2 += d * d;
            }
        }
    }
    pthread_mutex_lock(&job->lock);
    job->residual2 += residual2;
    job->norm_a2 += norm_a2;
    pthread_mutex_unlock(&job->lock);
    free(block);
    free(ax);
    return NULL;
}

static double vector_norm2(const void *v, int n, int is_complex)
{
    const double *reals = v;
    double sum = 0;
    for (long k = 0; k < (long)n * (is_complex ? 2 : 1); k++)
        sum += reals[k] * reals[k];
    return sum;
}

double check_backward_error(const blrchol_problem_t *problem, const void *x, const void *b, int threads,
                            MPI_Comm comm, double *norm_a)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    const int n = problem->n;
    struct residual_job job = {.problem = problem, .is_complex = problem->scalar != BLRCHOL_REAL_SYMMETRIC,
                               .x = x, .b = b};
    int *identity = malloc((size_t)n * sizeof *identity);
    for (int k = 0; k < n; k++)
        identity[k] = k;
    job.identity = identity;
    job.row_begin = (int)((long)n * rank / nranks);
    job.row_end = (int)((long)n * (rank + 1) / nranks);
    atomic_init(&job.next_block, 0);
    pthread_mutex_init(&job.lock, NULL);
    if (threads < 1)
        threads = 1;
    pthread_t *tids = malloc(threads * sizeof *tids);
    for (int t = 0; t < threads; t++)
        pthread_create(&tids[t], NULL, residual_worker, &job);
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    free(identity);
    pthread_mutex_destroy(&job.lock);

    double local[2] = {job.residual2, job.norm_a2}, total[2];
    MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, comm);
    *norm_a = sqrt(total[1]);
    double norm_x = sqrt(vector_norm2(x, n, job.is_complex));
    double norm_b = sqrt(vector_norm2(b, n, job.is_complex));
    return sqrt(total[0]) / (*norm_a * norm_x + norm_b);
}

double blrchol_backward_error(const blrchol_problem_t *problem, int nrhs, const void *x, const void *b,
                              int threads, MPI_Comm comm)
{
    const size_t column = (size_t)problem->n * (problem->scalar == BLRCHOL_REAL_SYMMETRIC ? 8 : 16);
    double worst = 0, norm_a;
    for (int k = 0; k < nrhs; k++) {
        double error = check_backward_error(problem, (const char *)x + k * column, (const char *)b + k * column,
                                            threads, comm, &norm_a);
        if (termination_agree(comm)) /* a stopped check computed nothing */
            return NAN;
        if (!(error <= worst)) /* NaN wins */
            worst = error;
    }
    return worst;
}
