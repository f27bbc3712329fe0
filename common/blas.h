/*
 * blas.h: thin precision-generic wrappers over CBLAS and LAPACKE, so that a
 * t_*.c source calls blas_gemm() once and gets dgemm or zgemm.  Scalars are
 * passed by value; the complex CBLAS convention (pointers to alpha/beta) is
 * hidden here.  Include after precision.h.
 */
#ifndef BLRCHOL_BLAS_H
#define BLRCHOL_BLAS_H

#include <cblas.h>
#include <lapacke.h>
#include "common/precision.h"

/* The CBLAS transpose that applies `*`: ConjTrans for Hermitian complex. */
static inline CBLAS_TRANSPOSE blas_star(int conj)
{
    return (SCALAR_IS_COMPLEX && conj) ? CblasConjTrans : CblasTrans;
}
/* The LAPACK character for the same operator. */
static inline char lapack_star(int conj)
{
    return (SCALAR_IS_COMPLEX && conj) ? 'C' : 'T';
}

#if defined(PRECISION_D)
#define BLAS_ARG(x) (x)
#define BLAS_FN(fn) cblas_d##fn
#define LAPACK_FN(fn) LAPACKE_d##fn
#else
#define BLAS_ARG(x) (&(x))
#define BLAS_FN(fn) cblas_z##fn
#define LAPACK_FN(fn) LAPACKE_z##fn
#endif

static inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                             scalar_t alpha, const scalar_t *a, int lda,
                             const scalar_t *b, int ldb, scalar_t beta, scalar_t *c, int ldc)
{
    if (m == 0 || n == 0)
        return;
    BLAS_FN(gemm)(CblasColMajor, ta, tb, m, n, k, BLAS_ARG(alpha), a, lda, b, ldb,
                  BLAS_ARG(beta), c, ldc);
}

/* B <- alpha op(A)^{-1} B (side L) or alpha B op(A)^{-1} (side R), A triangular. */
static inline void blas_trsm(CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE ta, CBLAS_DIAG diag,
                             int m, int n, scalar_t alpha, const scalar_t *a, int lda,
                             scalar_t *b, int ldb)
{
    if (m == 0 || n == 0)
        return;
    BLAS_FN(trsm)(CblasColMajor, side, uplo, ta, diag, m, n, BLAS_ARG(alpha), a, lda, b, ldb);
}

/* B <- alpha op(A) B or alpha B op(A), A triangular. */
static inline void blas_trmm(CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE ta, CBLAS_DIAG diag,
                             int m, int n, scalar_t alpha, const scalar_t *a, int lda,
                             scalar_t *b, int ldb)
{
    if (m == 0 || n == 0)
        return;
    BLAS_FN(trmm)(CblasColMajor, side, uplo, ta, diag, m, n, BLAS_ARG(alpha), a, lda, b, ldb);
}

/* Lower triangle of C <- alpha A A^* + beta C, with * per `conj` (syrk or herk).
 * For herk, alpha and beta must be real; they are passed as scalars here and
 * their real part is used. */
static inline void blas_rank_update(int conj, int n, int k, double alpha, const scalar_t *a,
                                    int lda, double beta, scalar_t *c, int ldc)
{
    if (n == 0)
        return;
#if defined(PRECISION_D)
    (void)conj;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, k, alpha, a, lda, beta, c, ldc);
#else
    if (conj) {
        cblas_zherk(CblasColMajor, CblasLower, CblasNoTrans, n, k, alpha, a, lda, beta, c, ldc);
    } else {
        scalar_t alpha_c = alpha, beta_c = beta;
        cblas_zsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, k, &alpha_c, a, lda, &beta_c, c, ldc);
    }
#endif
}

/* y <- alpha op(A) x + beta y */
static inline void blas_gemv(CBLAS_TRANSPOSE ta, int m, int n, scalar_t alpha, const scalar_t *a,
                             int lda, const scalar_t *x, int incx, scalar_t beta, scalar_t *y, int incy)
{
    if (m == 0 || n == 0)
        return;
    BLAS_FN(gemv)(CblasColMajor, ta, m, n, BLAS_ARG(alpha), a, lda, x, incx, BLAS_ARG(beta), y, incy);
}

/* Cholesky of the lower triangle. Real SPD and complex Hermitian use potrf;
 * complex symmetric (conj == 0 in z) has no LAPACK routine and uses
 * sym_potrf_lower_z from kernels/ instead, so this wrapper is only for the
 * conjugated/real case. Returns LAPACK's info. */
static inline int lapack_potrf_lower(int n, scalar_t *a, int lda)
{
    return (int)LAPACK_FN(potrf)(LAPACK_COL_MAJOR, 'L', n, a, lda);
}

/* Householder QR of the m x n matrix a (n <= m) in compact WY form: R in
 * the upper triangle, the reflectors below it, their n x n block factor in
 * t.  geqrt with a single block of n columns runs LAPACK's recursive
 * geqrt3, which is all BLAS3; geqrf would take its unblocked BLAS2 path on
 * the narrow matrices of low-rank recompression (its crossover is 128
 * columns), and that path dominated the factorisation's profile. */
static inline int lapack_qr_wy(int m, int n, scalar_t *a, int lda, scalar_t *t)
{
    /* geqrt sets T's upper triangle only, and LAPACKE_?gemqrt checks the
     * whole of it for NaNs: a stale NaN pattern below the diagonal (the
     * workspace comes from malloc) would fail lapack_apply_q. */
    for (size_t i = 0; i < (size_t)n * n; i++)
        t[i] = 0;
    return (int)LAPACK_FN(geqrt)(LAPACK_COL_MAJOR, m, n, n, a, lda, t, n);
}

/* C (m x n) <- Q C, Q the m x m orthogonal factor of lapack_qr_wy (k
 * reflectors in v, k x k block factor t): applied as blocked reflectors,
 * never formed. */
static inline int lapack_apply_q(int m, int n, int k, const scalar_t *v, int ldv, const scalar_t *t,
                                 scalar_t *c, int ldc)
{
    if (m == 0 || n == 0 || k == 0)
        return 0;
    return (int)LAPACK_FN(gemqrt)(LAPACK_COL_MAJOR, 'L', 'N', m, n, k, k, v, ldv, t, k, c, ldc);
}

/* Householder QR with column pivoting, A P = Q R (geqp3): R in the upper
 * triangle, the reflectors below it with their scalars in tau (min(m, n)),
 * P in jpvt (1-based: column j of A P is column jpvt[j] - 1 of A).  jpvt is
 * cleared here, so that every column is free to move. */
static inline int lapack_qr_pivoted(int m, int n, scalar_t *a, int lda, int *jpvt, scalar_t *tau)
{
    for (int j = 0; j < n; j++)
        jpvt[j] = 0;
    if (m == 0 || n == 0)
        return 0;
    return (int)LAPACK_FN(geqp3)(LAPACK_COL_MAJOR, m, n, a, lda, jpvt, tau);
}

/* Householder QR (geqrf): R in the upper triangle, the reflectors below it
 * with their scalars in tau.  For the narrow matrices where only the
 * explicit Q is wanted next (lapack_form_q). */
static inline int lapack_qr(int m, int n, scalar_t *a, int lda, scalar_t *tau)
{
    if (m == 0 || n == 0)
        return 0;
    return (int)LAPACK_FN(geqrf)(LAPACK_COL_MAJOR, m, n, a, lda, tau);
}

/* The first n columns of Q, in place of the first k reflectors of
 * lapack_qr or lapack_qr_pivoted (orgqr / ungqr; k <= n <= m). */
static inline int lapack_form_q(int m, int n, int k, scalar_t *a, int lda, const scalar_t *tau)
{
    if (m == 0 || n == 0)
        return 0;
#if defined(PRECISION_D)
    return (int)LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, n, k, a, lda, tau);
#else
    return (int)LAPACKE_zungqr(LAPACK_COL_MAJOR, m, n, k, a, lda, tau);
#endif
}

/* Thin SVD A = U diag(s) VT (gesdd, jobz 'S'); A is destroyed. */
static inline int lapack_svd(int m, int n, scalar_t *a, int lda, double *s, scalar_t *u, int ldu,
                             scalar_t *vt, int ldvt)
{
    return (int)LAPACK_FN(gesdd)(LAPACK_COL_MAJOR, 'S', m, n, a, lda, s, u, ldu, vt, ldvt);
}

/* Frobenius norm of an m x n matrix. */
static inline double lapack_norm_fro(int m, int n, const scalar_t *a, int lda)
{
    if (m == 0 || n == 0)
        return 0.0;
    return LAPACK_FN(lange)(LAPACK_COL_MAJOR, 'F', m, n, a, lda);
}

static inline void lapack_copy(int m, int n, const scalar_t *a, int lda, scalar_t *b, int ldb)
{
    if (m == 0 || n == 0)
        return;
    LAPACK_FN(lacpy)(LAPACK_COL_MAJOR, 'A', m, n, a, lda, b, ldb);
}

#endif
