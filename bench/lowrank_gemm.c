/*
 * lowrank_gemm.c: the low-rank GEMM update C -= A B^* timed on the tiles of a
 * real factorisation, two code paths side by side.
 *
 * Compresses a reference matrix (docs/design/reference-matrices.md) at eps, then factorises it
 * sequentially, tile by tile, with the plain kernels of kernels/tile_kernels.h
 * (no StarPU, one thread).  Every --every-th GEMM whose three tiles are
 * low-rank is a sample: it is run --reps times on copies of C by each path,
 * alternately (old, new, new, old, ...), and timed in thread CPU time, so that
 * other jobs on the machine disturb the ratio as little as possible:
 *   stacked     C handed over without svd_form: QR of the stacked factors
 *               [U_c X], [V_c Y], SVD of the core (the path of any C);
 *   projected   C as the factorisation left it (svd_form): the bases of C
 *               extended by what X and Y add, SVD of the small core.
 * The factorisation goes on with the projected result.  --check also
 * compares both results with the dense C - A B^* (error / tol, and the
 * minimal rank at tol from the singular values of the dense result).
 *
 *   build/lowrank_gemm [-n 12000] [--nb 512] [--eps 1e-8] [--kernel laplace]
 *                      [--geometry sphere] [--every 10] [--reps 5] [--check] [--verbose]
 *   build/lowrank_gemm --synthetic RANK [--nb 512] [--reps R]
 * times only C -= A B^T on random nb x nb tiles of rank RANK (real, in
 * svd_form, see synthetic_main): a run to profile, nothing else in it.
 * (make build/lowrank_gemm).  Complex kernels on Debian 12's OpenBLAS: set
 * OPENBLAS_CORETYPE=SANDYBRIDGE as blrchol does (docs/user-guide.md, complex runs).
 */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <lapacke.h>

#include "bem/bem.h"
#include "compression/cluster.h"
#include "compression/lowrank.h"
#include "compression/tile.h"
#include "kernels/tile_kernels.h"

struct ops {
    int (*compress)(tile_t *, lr_assemble_fn, void *, double, int);
    int (*potrf)(tile_t *, int);
    int (*trsm)(tile_t *, const tile_t *, int);
    int (*syrk)(tile_t *, const tile_t *, int);
    int (*gemm)(tile_t *, const tile_t *, const tile_t *, double, int);
};
static const struct ops OPS_D = {lr_compress_aca_d, tile_potrf_d, tile_trsm_d, tile_syrk_d, tile_gemm_d};
static const struct ops OPS_Z = {lr_compress_aca_z, tile_potrf_z, tile_trsm_z, tile_syrk_z, tile_gemm_z};

static void die(const char *what)
{
    fprintf(stderr, "lowrank_gemm: %s\n", what);
    exit(1);
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* The matrix in clustered numbering: entry (i, j) is A(perm[i], perm[j]). */
struct problem {
    bem_problem_t bem;
    int *perm, is_complex, conj, elem_size;
};

static void assemble(const struct problem *pb, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    if (pb->is_complex)
        bem_assemble_z(&pb->bem, pb->perm + row0, nrows, pb->perm + col0, ncols, out, ld);
    else
        bem_assemble_d(&pb->bem, pb->perm + row0, nrows, pb->perm + col0, ncols, out, ld);
}

struct window {
    const struct problem *pb;
    int row0, col0;
};

static void assemble_window(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    const struct window *w = ctx;
    assemble(w->pb, w->row0 + row0, nrows, w->col0 + col0, ncols, out, ld);
}

/* ||A||_F as the solver estimates it: diagonal tiles exactly, the others from 8 rows. */
static double norm_estimate(const struct problem *pb, int n, int nb, int nt)
{
    double *buffer = malloc((size_t)nb * nb * pb->elem_size), total = 0;
    const int reals = pb->elem_size / 8;
    for (int j = 0; j < nt; j++)
        for (int i = j; i < nt; i++) {
            int m = i == nt - 1 ? n - i * nb : nb, w = j == nt - 1 ? n - j * nb : nb;
            if (i == j) {
                assemble(pb, i * nb, m, j * nb, w, buffer, m);
                for (size_t k = 0; k < (size_t)m * w * reals; k++)
                    total += buffer[k] * buffer[k];
                continue;
            }
            double sampled = 0;
            const int samples = 8 < m ? 8 : m;
            for (int s = 0; s < samples; s++) {
                assemble(pb, i * nb + (int)(((long)s * m + m / 2) / samples), 1, j * nb, w, buffer, 1);
                for (int k = 0; k < w * reals; k++)
                    sampled += buffer[k] * buffer[k];
            }
            total += 2.0 * sampled * m / samples;
        }
    free(buffer);
    return sqrt(total);
}

/* The tile as a dense complex m x n matrix (real tiles widened). */
static double complex *dense_of(const tile_t *t, int is_complex, int conj)
{
    double complex *out = malloc(sizeof *out * (size_t)t->m * t->n);
    if (is_complex) {
        tile_expand_z(t, conj, out, t->m);
    } else {
        double *d = malloc(sizeof *d * (size_t)t->m * t->n);
        tile_expand_d(t, d, t->m);
        for (size_t k = 0; k < (size_t)t->m * t->n; k++)
            out[k] = d[k];
        free(d);
    }
    return out;
}

/* Reference C - A B^* (dense), its minimal rank at tol. */
static double complex *reference(const tile_t *c, const tile_t *a, const tile_t *b, int is_complex, int conj,
                                 double tol, int *minimal)
{
    double complex *d = dense_of(c, is_complex, conj), *da = dense_of(a, is_complex, conj),
                   *db = dense_of(b, is_complex, conj);
    const double complex one = 1, minus = -1;
    cblas_zgemm(CblasColMajor, CblasNoTrans, is_complex && conj ? CblasConjTrans : CblasTrans, c->m, c->n, a->n,
                &minus, da, c->m, db, c->n, &one, d, c->m);
    const int p = c->m < c->n ? c->m : c->n;
    double *s = malloc(sizeof *s * p);
    double complex *copy = malloc(sizeof *copy * (size_t)c->m * c->n);
    memcpy(copy, d, sizeof *copy * (size_t)c->m * c->n);
    if (LAPACKE_zgesdd(LAPACK_COL_MAJOR, 'N', c->m, c->n, copy, c->m, s, NULL, 1, NULL, 1) != 0)
        die("reference SVD failed");
    int k = p;
    double tail = 0;
    while (k > 0 && tail + s[k - 1] * s[k - 1] <= tol * tol)
        tail += s[k - 1] * s[k - 1], k--;
    *minimal = k;
    free(s), free(copy), free(da), free(db);
    return d;
}

static double distance(const tile_t *t, const double complex *ref, int is_complex, int conj)
{
    double complex *d = dense_of(t, is_complex, conj);
    double sum = 0;
    for (size_t k = 0; k < (size_t)t->m * t->n; k++)
        sum += creal(d[k] - ref[k]) * creal(d[k] - ref[k]) + cimag(d[k] - ref[k]) * cimag(d[k] - ref[k]);
    free(d);
    return sqrt(sum);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int count)
{
    qsort(v, count, sizeof *v, compare_double);
    return count % 2 ? v[count / 2] : 0.5 * (v[count / 2 - 1] + v[count / 2]);
}

/* ---- --synthetic R: one GEMM shape, timed alone (for a profiler) ---------- */

/* A random m x r matrix with orthonormal columns (QR of uniform entries). */
static void random_orthonormal(int m, int r, double *q, unsigned *seed)
{
    double *tau = malloc(sizeof *tau * r);
    for (size_t k = 0; k < (size_t)m * r; k++)
        q[k] = rand_r(seed) / (double)RAND_MAX - 0.5;
    if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, r, q, m, tau) != 0 || LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, r, r, q, m, tau))
        die("QR of a random matrix failed");
    free(tau);
}

/* t <- Q_u diag(scale 10^(-3 l / r)) Q_v^T, of rank r with random orthonormal
 * Q_u, Q_v: in svd_form, as the factorisation leaves its tiles. */
static void synthetic_tile(tile_t *t, int nb, int r, double scale, unsigned *seed)
{
    tile_init(t, nb, nb, sizeof(double));
    if (tile_resize_lowrank(t, r, 0) != 0)
        die("out of memory");
    double *u = t->u, *v = t->v;
    random_orthonormal(nb, r, u, seed);
    random_orthonormal(nb, r, v, seed);
    for (int l = 0; l < r; l++)
        cblas_dscal(nb, scale * pow(10.0, -3.0 * l / r), v + (size_t)l * nb, 1);
    t->svd_form = 1;
}

/* C -= A B^T, all three nb x nb of rank r, the product half of C's scale,
 * at tol 1e-4 (relative to C's largest singular value 1): reps calls on
 * fresh copies of C, timed in thread CPU time, the copies not counted. */
static int synthetic_main(int r, int nb, int reps)
{
    unsigned seed = 1;
    tile_t c, a, b, w;
    synthetic_tile(&c, nb, r, 1.0, &seed);
    synthetic_tile(&a, nb, r, sqrt(0.5), &seed);
    synthetic_tile(&b, nb, r, sqrt(0.5), &seed);
    tile_init(&w, nb, nb, sizeof(double));
    double *times = malloc(sizeof *times * reps), total = 0;
    for (int k = 0; k < reps; k++) {
        if (tile_copy(&w, &c) != 0)
            die("out of memory");
        double start = cpu_seconds();
        if (tile_gemm_d(&w, &a, &b, 1e-4, 0) != 0)
            die("gemm failed");
        total += times[k] = cpu_seconds() - start;
    }
    printf("synthetic nb=%d rank %d: %d GEMMs, result rank %d, median %.1f us, mean %.1f us per GEMM\n", nb, r,
           reps, tile_is_dense(&w) ? -1 : w.rank, 1e6 * median(times, reps), 1e6 * total / reps);
    tile_release(&c), tile_release(&a), tile_release(&b), tile_release(&w);
    free(times);
    return 0;
}

struct sample {
    double t_old, t_new;
    int kc, ka, kb, r_old, r_new, minimal;
    double err_old, err_new;
};

int main(int argc, char **argv)
{
    int n = 12000, nb = 512, every = 10, reps = 5, check = 0, verbose = 0, synthetic = 0;
    double eps = 1e-8;
    const char *kernel_name = "laplace", *geometry_name = "sphere";
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "-n") && v) n = atoi(v), k++;
        else if (!strcmp(a, "--nb") && v) nb = atoi(v), k++;
        else if (!strcmp(a, "--eps") && v) eps = atof(v), k++;
        else if (!strcmp(a, "--kernel") && v) kernel_name = v, k++;
        else if (!strcmp(a, "--geometry") && v) geometry_name = v, k++;
        else if (!strcmp(a, "--every") && v) every = atoi(v), k++;
        else if (!strcmp(a, "--reps") && v) reps = atoi(v), k++;
        else if (!strcmp(a, "--synthetic") && v) synthetic = atoi(v), k++;
        else if (!strcmp(a, "--check")) check = 1;
        else if (!strcmp(a, "--verbose")) verbose = 1;
        else {
            fprintf(stderr, "usage: %s [-n N] [--nb NB] [--eps EPS] [--kernel K] [--geometry G] [--every S] "
                            "[--reps R] [--check] [--verbose] [--synthetic RANK]\n", argv[0]);
            return 2;
        }
    }
    if (n < 1 || nb < 1 || every < 1 || reps < 1)
        die("-n, --nb, --every and --reps must be positive");
    openblas_set_num_threads(1);
    LAPACKE_set_nancheck(0); /* as the library runs its kernels (api.c) */
    if (synthetic > 0)
        return synthetic_main(synthetic, nb, reps);

    bem_kernel_t kernel;
    bem_geometry_t geometry;
    if (bem_kernel_parse(kernel_name, &kernel) || bem_geometry_parse(geometry_name, &geometry))
        die("unknown --kernel or --geometry");
    struct problem pb = {.is_complex = bem_kernel_is_complex(kernel), .conj = bem_kernel_is_hermitian(kernel)};
    pb.elem_size = pb.is_complex ? 16 : 8;
    if (bem_problem_init(&pb.bem, n, geometry, kernel) != 0 || !(pb.perm = malloc(sizeof *pb.perm * n))
        || cluster_bisect(pb.bem.points, n, nb, pb.perm) != 0)
        die("cannot build the problem");
    const struct ops *ops = pb.is_complex ? &OPS_Z : &OPS_D;
    const int nt = (n + nb - 1) / nb, conj = pb.conj, cplx = pb.is_complex;
    const double tol = eps * norm_estimate(&pb, n, nb, nt) / nt;

    tile_t *tiles = calloc((size_t)nt * nt, sizeof *tiles);
#define T(i, j) (&tiles[(size_t)(i) * nt + (j)])
    double t0 = cpu_seconds();
    for (int j = 0; j < nt; j++)
        for (int i = j; i < nt; i++) {
            tile_t *t = T(i, j);
            tile_init(t, i == nt - 1 ? n - i * nb : nb, j == nt - 1 ? n - j * nb : nb, pb.elem_size);
            struct window w = {&pb, i * nb, j * nb};
            if (i == j) {
                if (tile_make_dense(t) != 0)
                    die("out of memory");
                assemble_window(&w, 0, t->m, 0, t->n, t->u, t->m);
            } else if (ops->compress(t, assemble_window, &w, tol, conj) != 0) {
                die("compression failed");
            }
        }
    fprintf(stderr, "lowrank_gemm: %s %s n=%d nb=%d eps=%g tol=%.3e: compressed in %.1f s\n", kernel_name,
            geometry_name, n, nb, eps, tol, cpu_seconds() - t0);

    struct sample *samples = NULL;
    int count = 0, capacity = 0;
    long lowrank_gemms = 0;
    double *told = malloc(sizeof *told * reps), *tnew = malloc(sizeof *tnew * reps);
    for (int j = 0; j < nt; j++) {
        if (ops->potrf(T(j, j), conj) != 0)
            die("not positive definite");
        for (int i = j + 1; i < nt; i++)
            ops->trsm(T(i, j), T(j, j), conj);
        for (int i = j + 1; i < nt; i++) {
            ops->syrk(T(i, i), T(i, j), conj);
            for (int k = j + 1; k < i; k++) {
                tile_t *c = T(i, k), *a = T(i, j), *b = T(k, j);
                int sampled = !tile_is_dense(c) && !tile_is_dense(a) && !tile_is_dense(b) && a->rank > 0
                              && b->rank > 0 && lowrank_gemms++ % every == 0;
                if (!sampled) {
                    if (ops->gemm(c, a, b, tol, conj) != 0)
                        die("gemm failed");
                    continue;
                }
                struct sample s = {.kc = c->rank, .ka = a->rank, .kb = b->rank};
                tile_t w_old, w_new;
                tile_init(&w_old, c->m, c->n, c->elem_size);
                tile_init(&w_new, c->m, c->n, c->elem_size);
                for (int r = 0; r < reps; r++) {
                    for (int side = 0; side < 2; side++) {
                        int old = (side == 0) == (r % 2 == 0);
                        tile_t *w = old ? &w_old : &w_new;
                        if (tile_copy(w, c) != 0)
                            die("out of memory");
                        if (old)
                            w->svd_form = 0;
                        double start = cpu_seconds();
                        if (ops->gemm(w, a, b, tol, conj) != 0)
                            die("gemm failed");
                        (old ? told : tnew)[r] = cpu_seconds() - start;
                    }
                }
                s.t_old = median(told, reps);
                s.t_new = median(tnew, reps);
                s.r_old = tile_is_dense(&w_old) ? -1 : w_old.rank;
                s.r_new = tile_is_dense(&w_new) ? -1 : w_new.rank;
                s.minimal = -1;
                if (check) {
                    double complex *ref = reference(c, a, b, cplx, conj, tol, &s.minimal);
                    s.err_old = distance(&w_old, ref, cplx, conj) / tol;
                    s.err_new = distance(&w_new, ref, cplx, conj) / tol;
                    free(ref);
                }
                if (verbose)
                    printf("step %2d C(%2d,%2d) kc %3d ka %3d kb %3d: old %7.3f ms rank %3d, new %7.3f ms rank %3d,"
                           " minimal %3d, error/tol old %.3f new %.3f\n", j, i, k, s.kc, s.ka, s.kb, 1e3 * s.t_old,
                           s.r_old, 1e3 * s.t_new, s.r_new, s.minimal, s.err_old, s.err_new);
                tile_release(c);
                *c = w_new;
                tile_release(&w_old);
                if (count == capacity)
                    samples = realloc(samples, sizeof *samples * (capacity = capacity ? 2 * capacity : 256));
                samples[count++] = s;
            }
        }
    }
    if (count == 0)
        die("no low-rank GEMM sampled");

    double sum_old = 0, sum_new = 0, max_err_old = 0, max_err_new = 0, kc = 0, kt = 0, r_old = 0, r_new = 0,
           minimal = 0;
    int above_old = 0, above_new = 0;
    double *ratios = malloc(sizeof *ratios * count);
    for (int s = 0; s < count; s++) {
        const struct sample *p = &samples[s];
        sum_old += p->t_old, sum_new += p->t_new;
        ratios[s] = p->t_old / p->t_new;
        kc += p->kc, kt += p->kc + (p->ka < p->kb ? p->ka : p->kb);
        r_old += p->r_old, r_new += p->r_new, minimal += p->minimal;
        if (p->err_old > max_err_old) max_err_old = p->err_old;
        if (p->err_new > max_err_new) max_err_new = p->err_new;
        above_old += p->minimal >= 0 && p->r_old > p->minimal + 1;
        above_new += p->minimal >= 0 && p->r_new > p->minimal + 1;
    }
    printf("%s %s n=%d nb=%d eps=%g: %d samples of %ld low-rank GEMMs, %d reps each (thread CPU time)\n",
           kernel_name, geometry_name, n, nb, eps, count, lowrank_gemms, reps);
    printf("  mean rank of C %.1f, stacked %.1f; result rank stacked %.1f, projected %.1f", kc / count, kt / count,
           r_old / count, r_new / count);
    if (check)
        printf(", minimal %.1f", minimal / count);
    printf("\n  time per GEMM: stacked %.3f ms, projected %.3f ms\n", 1e3 * sum_old / count, 1e3 * sum_new / count);
    printf("  speed-up stacked/projected: total %.2f, median per sample %.2f\n", sum_old / sum_new,
           median(ratios, count));
    if (check)
        printf("  max error/tol: stacked %.3f, projected %.3f; rank > minimal + 1: stacked %d, projected %d\n",
               max_err_old, max_err_new, above_old, above_new);
    for (int t = 0; t < nt * nt; t++)
        tile_release(&tiles[t]);
    free(tiles), free(samples), free(ratios), free(told), free(tnew);
    bem_problem_free(&pb.bem);
    free(pb.perm);
    return 0;
}
