/*
 * test_lowrank.c: the low-rank algebra and tile compression of
 * compression/ (lowrank.h), for d and z, conj 0 and 1 in z.  The cases are
 * written once in lowrank_cases.inc and instantiated here per precision;
 * every check is against a dense reference computed in the test itself.
 */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <lapacke.h>

#include "compression/lowrank.h"
#include "compression/scratch.h"
#include "compression/tile.h"
#include "memctl/tile_mem.h"

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t test_seed = 0x9e3779b97f4a7c15ull;
static double test_rand(void)
{
    uint64_t z = (test_seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;   /* uniform in [-1, 1) */
}

static void *test_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    cr_assert_not_null(p, "test workspace of %zu bytes", bytes);
    return p;
}

static double test_abs2_d(double a) { return a * a; }
static double test_abs2_z(double complex a) { return creal(a) * creal(a) + cimag(a) * cimag(a); }
/* A function, not conj() itself: the cases' `conj` parameter would hide it. */
static double complex test_conj_z(double complex a) { return conj(a); }
#define test_abs2(a) _Generic((a), double: test_abs2_d, default: test_abs2_z)(a)

#define P_SCALAR double
#define P_SUF d
#define P_COMPLEX 0
#define P_CONJ(a) (a)
#define P_EXPAND(t, conj, out, ld) ((void)(conj), tile_expand_d((t), (out), (ld)))
#include "lowrank_cases.inc"
#undef P_SCALAR
#undef P_SUF
#undef P_COMPLEX
#undef P_CONJ
#undef P_EXPAND

#define P_SCALAR double complex
#define P_SUF z
#define P_COMPLEX 1
#define P_CONJ(a) test_conj_z(a)
#define P_EXPAND(t, conj, out, ld) tile_expand_z((t), (conj), (out), (ld))
#include "lowrank_cases.inc"

/* One Test per precision and symmetry: d (conj irrelevant), z with ^T
 * (complex symmetric) and z with ^H (Hermitian). */
#define LOWRANK_TESTS(name)                                \
    Test(lowrank, name##_d) { check_##name##_d(0); }       \
    Test(lowrank, name##_z_sym) { check_##name##_z(0); }   \
    Test(lowrank, name##_z_herm) { check_##name##_z(1); }

LOWRANK_TESTS(truncate)
LOWRANK_TESTS(truncate_wide)
LOWRANK_TESTS(truncate_to_dense)
LOWRANK_TESTS(add_product)
LOWRANK_TESTS(add_product_grows_dense)
LOWRANK_TESTS(add_product_refused)
LOWRANK_TESTS(to_dense)
LOWRANK_TESTS(expand)
LOWRANK_TESTS(compress_kernel)
LOWRANK_TESTS(compress_dense)
LOWRANK_TESTS(compress_random)
LOWRANK_TESTS(compress_zero)
LOWRANK_TESTS(compress_exact_rank)
LOWRANK_TESTS(svd_form_producers)
LOWRANK_TESTS(compress_exact_truncation)
LOWRANK_TESTS(add_product_projected)
LOWRANK_TESTS(add_product_kernel)
LOWRANK_TESTS(add_product_projected_refused)
LOWRANK_TESTS(add_product_false_svd_form)

/* ---- the kernels' scratch stack (compression/scratch.c) ------------------- */

static void fill(double *block, size_t count, double first)
{
    for (size_t i = 0; i < count; i++)
        block[i] = first + (double)i;
}

static int holds(const double *block, size_t count, double first)
{
    for (size_t i = 0; i < count; i++)
        if (block[i] != first + (double)i)
            return 0;
    return 1;
}

/* Blocks pushed earlier keep their contents while later pushes open new
 * chunks and are popped; once empty, the stack settles on one chunk that
 * the same pattern of pushes then fits without any new allocation. */
Test(scratch, blocks_survive_growth_and_settle)
{
    const size_t small = 1000, large = 100000; /* 8 KB, then 800 KB: past the first chunk */
    size_t settled = 0;
    for (int round = 0; round < 3; round++) {
        const scratch_mark_t start = scratch_mark();
        double *a = scratch_push(small * sizeof *a);
        cr_assert(a && (uintptr_t)a % 64 == 0);
        fill(a, small, 1.0);
        const scratch_mark_t above_a = scratch_mark();
        double *b = scratch_push(large * sizeof *b);
        cr_assert(b && (uintptr_t)b % 64 == 0);
        cr_assert(b + large <= a || a + small <= b, "blocks overlap");
        fill(b, large, -5e5);
        cr_assert(holds(a, small, 1.0), "round %d: the first block changed when the second was pushed", round);
        scratch_pop(above_a);
        double *c = scratch_push(small * sizeof *c);
        fill(c, small, 7.0);
        cr_assert(holds(a, small, 1.0) && holds(c, small, 7.0), "round %d", round);
        scratch_pop(start);
        if (round == 1)
            settled = scratch_bytes();
        if (round == 2)
            cr_assert_eq(scratch_bytes(), settled, "the settled stack grew again: %zu, then %zu bytes", settled,
                         scratch_bytes());
    }
    cr_assert_geq(scratch_peak_bytes(), (small + large) * sizeof(double));
}
