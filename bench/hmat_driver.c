/*
 * hmat_driver: hmat-oss's H-matrix LLt on the laplace sphere of blrchol's
 * reference matrices (docs/design/reference-matrices.md), for
 * bench/vs-hmat, which compiles it against an hmat-oss installation.
 *
 *   hmat_driver N EPS LEAF RHS_FILE
 *
 * Assembles with ACA+ at EPS (recompressions at EPS too), clusters by
 * median bisection down to LEAF unknowns, admissibility eta = 2, factorises
 * LLt and solves for a pseudo-random b, which it writes to RHS_FILE so
 * that blrchol solves for the same b.  Prints key value lines: the
 * seconds of the two phases (wall and CPU of the process), the H-matrix's
 * bytes, and the backward error ||Ax - b|| / (||A||_F ||x|| + ||b||)
 * against the exact entries, computed as blrchol's --check defines it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <hmat/hmat.h>

typedef struct {
    int n;
    double *points; /* 3 n coordinates, in the original numbering */
    double weight;  /* the surface element of every point */
    double radius;  /* of the disc of that area: the diagonal's integral */
} sphere_t;

/* The Fibonacci sphere of radius 1. */
static double *fibonacci_sphere(int n)
{
    double *x = malloc(3 * sizeof(double) * (size_t)n);
    const double golden_angle = M_PI * (3 - sqrt(5.0));
    for (int i = 0; i < n; i++) {
        const double z = 1 - (2.0 * i + 1) / n, r = sqrt(1 - z * z), phi = i * golden_angle;
        x[3 * i] = r * cos(phi), x[3 * i + 1] = r * sin(phi), x[3 * i + 2] = z;
    }
    return x;
}

static double laplace_entry(const sphere_t *s, int i, int j)
{
    const double *a = s->points + 3 * (size_t)i, *b = s->points + 3 * (size_t)j;
    const double d = sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
    return i == j || d == 0 ? s->radius / 2 : s->weight / (4 * M_PI * d);
}

static void hmat_entry(void *user, int i, int j, void *out) { *(double *)out = laplace_entry(user, i, j); }

static double wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* b in [-1, 1] from splitmix64, written one value a line. */
static double *random_rhs(int n, const char *path)
{
    double *b = malloc(sizeof(double) * (size_t)n);
    FILE *f = fopen(path, "w");
    if (!b || !f)
        return NULL;
    uint64_t state = 12345;
    for (int i = 0; i < n; i++) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        b[i] = 2.0 * (double)(z >> 11) / 9007199254740992.0 - 1;
        fprintf(f, "%.17g\n", b[i]);
    }
    fclose(f);
    return b;
}

/* ||A x - b||_2 / (||A||_F ||x||_2 + ||b||_2), every entry of A computed
 * once (the lower triangle serves both of its rows). */
static double backward_error(const sphere_t *s, const double *x, const double *b)
{
    const int n = s->n;
    double *ax = calloc((size_t)n, sizeof(double)), norm_a2 = 0, norm_x2 = 0, norm_b2 = 0, residual2 = 0;
    for (int i = 0; i < n; i++) {
        double row = laplace_entry(s, i, i) * x[i];
        norm_a2 += laplace_entry(s, i, i) * laplace_entry(s, i, i);
        for (int j = 0; j < i; j++) {
            const double a = laplace_entry(s, i, j);
            row += a * x[j], ax[j] += a * x[i], norm_a2 += 2 * a * a;
        }
        ax[i] += row;
    }
    for (int i = 0; i < n; i++)
        residual2 += (ax[i] - b[i]) * (ax[i] - b[i]), norm_x2 += x[i] * x[i], norm_b2 += b[i] * b[i];
    free(ax);
    return sqrt(residual2) / (sqrt(norm_a2) * sqrt(norm_x2) + sqrt(norm_b2));
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N EPS LEAF RHS_FILE\n", argv[0]);
        return 2;
    }
    const int n = atoi(argv[1]), leaf = atoi(argv[3]);
    const double eps = atof(argv[2]);
    sphere_t s = {.n = n, .points = fibonacci_sphere(n), .weight = 4 * M_PI / n};
    s.radius = sqrt(s.weight / M_PI);
    double *b = random_rhs(n, argv[4]), *x = malloc(sizeof(double) * (size_t)n);
    if (!b || !x || !s.points) {
        fprintf(stderr, "hmat_driver: no memory, or cannot write %s\n", argv[4]);
        return 1;
    }

    hmat_interface_t hmat;
    hmat_init_default_interface(&hmat, HMAT_DOUBLE_PRECISION);
    if (hmat.init() != 0)
        return 1;
    hmat_clustering_algorithm_t *median = hmat_create_clustering_median();
    hmat_clustering_algorithm_t *to_leaf = hmat_create_clustering_max_dof(median, leaf);
    hmat_cluster_tree_t *tree = hmat_create_cluster_tree(s.points, 3, n, to_leaf);
    hmat_admissibility_t *admissible = hmat_create_admissibility_standard(2.0);
    hmat_matrix_t *h = hmat.create_empty_hmatrix_admissibility(tree, tree, 1, admissible);
    hmat.set_low_rank_epsilon(h, eps);

    double w0 = wall_seconds(), c0 = cpu_seconds();
    hmat_assemble_context_t assemble;
    hmat_assemble_context_init(&assemble);
    assemble.compression = hmat_create_compression_aca_plus(eps);
    assemble.user_context = &s;
    assemble.simple_compute = hmat_entry;
    assemble.lower_symmetric = 1;
    assemble.progress = NULL;
    hmat.assemble_generic(h, &assemble);
    double w1 = wall_seconds(), c1 = cpu_seconds();

    hmat_factorization_context_t factorize;
    hmat_factorization_context_init(&factorize);
    factorize.factorization = hmat_factorization_llt;
    factorize.progress = NULL;
    hmat.factorize_generic(h, &factorize);
    double w2 = wall_seconds(), c2 = cpu_seconds();

    memcpy(x, b, sizeof(double) * (size_t)n);
    hmat.vector_reorder(x, tree, 0, NULL, 1);
    hmat.solve_dense(h, x, 1);
    hmat.vector_restore(x, tree, 0, NULL, 1);
    hmat_info_t info;
    hmat.get_info(h, &info);

    printf("compress_s %.3f\nfactor_s %.3f\ncompress_cpu_s %.3f\nfactor_cpu_s %.3f\n", w1 - w0, w2 - w1, c1 - c0,
           c2 - c1);
    printf("factor_bytes %zu\nbackward_error %.3e\n", info.compressed_size * sizeof(double),
           backward_error(&s, x, b));

    hmat_delete_compression(assemble.compression);
    hmat.destroy(h);
    hmat_delete_admissibility(admissible);
    hmat_delete_cluster_tree(tree);
    hmat_delete_clustering(to_leaf);
    hmat_delete_clustering(median);
    hmat.finalize();
    free(s.points), free(b), free(x);
    return 0;
}
