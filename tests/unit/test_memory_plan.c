/* The memory plan against a count made from the factorisation's maths: in
 * step k, rank e receives L_kk if it owns a panel tile (m, k) below it, and
 * L_mk (m > k) if it owns a tile the update of step k writes from it: row
 * m left of the diagonal (m, n), k < n <= m, or column m below it (i, m),
 * i > m. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "library/memory_plan.h"

static int owner(int i, int j, int p, int q) { return (i % p) * q + (j % q); }
static long idx(int i, int j) { return (long)i * (i + 1) / 2 + j; }

static int reads_l_mk(int e, int m, int k, int nt, int p, int q)
{
    for (int n = k + 1; n <= m; n++)
        if (owner(m, n, p, q) == e)
            return 1;
    for (int i = m + 1; i < nt; i++)
        if (owner(i, m, p, q) == e)
            return 1;
    return 0;
}

static int reads_l_kk(int e, int k, int nt, int p, int q)
{
    for (int m = k + 1; m < nt; m++)
        if (owner(m, k, p, q) == e)
            return 1;
    return 0;
}

/* Step k's reception bytes of rank e, tile (i, j) weighing bytes[(i, j)]. */
static double step_receptions(int e, int k, int nt, int p, int q, const size_t *bytes)
{
    double sum = 0;
    if (owner(k, k, p, q) != e && reads_l_kk(e, k, nt, p, q))
        sum += (double)bytes[idx(k, k)];
    for (int m = k + 1; m < nt; m++)
        if (owner(m, k, p, q) != e && reads_l_mk(e, m, k, nt, p, q))
            sum += (double)bytes[idx(m, k)];
    return sum;
}

/* The largest receptions of rank e over `steps` consecutive steps. */
static double largest_steps(int e, int steps, int nt, int p, int q, const size_t *bytes)
{
    double best = 0;
    for (int first = 0; first + steps <= nt; first++) {
        double sum = 0;
        for (int k = first; k < first + steps; k++)
            sum += step_receptions(e, k, nt, p, q, bytes);
        if (sum > best)
            best = sum;
    }
    return best;
}

static double largest_step(int e, int nt, int p, int q, const size_t *bytes)
{
    return largest_steps(e, 1, nt, p, q, bytes);
}

/* Every tile's size, bound and growth flag (off the diagonal) on nt x nt tiles. */
struct tables {
    size_t *actual, *bound;
    unsigned char *growing;
};

static struct tables make_tables(int nt, size_t (*actual_of)(int i, int j), size_t (*bound_of)(size_t actual, int j))
{
    const long ntiles = (long)nt * (nt + 1) / 2;
    struct tables t = {malloc(ntiles * sizeof *t.actual), malloc(ntiles * sizeof *t.bound), calloc(ntiles, 1)};
    for (int j = 0; j < nt; j++)
        for (int i = j; i < nt; i++) {
            t.actual[idx(i, j)] = actual_of(i, j);
            t.bound[idx(i, j)] = bound_of(t.actual[idx(i, j)], j);
            t.growing[idx(i, j)] = i != j;
        }
    return t;
}

static void free_tables(struct tables *t) { free(t->actual), free(t->bound), free(t->growing); }

/* Distinct sizes, so that a tile counted twice or missed shows. */
static size_t distinct_size(int i, int j) { return 1000 + 37 * (size_t)i + 5 * (size_t)j; }
static size_t twice(size_t actual, int j) { return (void)j, 2 * actual; }

Test(memory_plan, matches_the_count_from_the_maths)
{
    const int nt = 7;
    const long ntiles = (long)nt * (nt + 1) / 2;
    struct tables t = make_tables(nt, distinct_size, twice);
    const size_t *actual = t.actual, *bound = t.bound;
    const unsigned char *growing = t.growing;
    desc_t layout = {.n = nt * 10, .nb = 10, .nt = nt, .ntiles = ntiles, .elem_size = 8};
    const plan_tiles_t tiles = {actual, bound, growing, 0.25, 500, 100, 0};
    const int grids[][2] = {{1, 1}, {1, 3}, {2, 2}, {3, 1}, {2, 3}};
    for (size_t g = 0; g < sizeof grids / sizeof grids[0]; g++) {
        const int p = grids[g][0], q = grids[g][1];
        rank_plan_t plan[6];
        cr_assert_eq(memory_plan(&layout, p, q, &tiles, plan), 0);
        for (int e = 0; e < p * q; e++) {
            double own = 0, pool = 0;
            for (int j = 0; j < nt; j++)
                for (int i = j; i < nt; i++)
                    if (owner(i, j, p, q) == e) {
                        own += (double)actual[idx(i, j)];
                        pool += i != j ? 0.25 * (double)actual[idx(i, j)] : 0;
                    }
            cr_assert_float_eq(plan[e].own_bytes, own, 1e-9, "%dx%d rank %d", p, q, e);
            cr_assert_float_eq(plan[e].pool_bytes, pool, 1e-9, "%dx%d rank %d", p, q, e);
            const double reserved = largest_step(e, nt, p, q, bound);
            cr_assert_float_eq(plan[e].step_reserved, reserved, 1e-9, "%dx%d rank %d: %g vs %g", p, q, e,
                               plan[e].step_reserved, reserved);
            const double least = p * q == 1 ? own + pool : own + pool + 500 + reserved + 200;
            cr_assert_float_eq(plan[e].node_mem_min, least, 1e-9, "%dx%d rank %d", p, q, e);
            if (p * q == 1)
                cr_assert_eq(plan[e].step_reserved, 0, "one rank receives nothing");
        }
    }
    /* The fewest ranks: a capacity that one rank fits in needs one; the
     * least capacity of a 2 x 2 grid needs at most 4 ranks, and more than
     * one when one rank cannot hold every tile. */
    rank_plan_t one, four[4];
    memory_plan(&layout, 1, 1, &tiles, &one);
    cr_assert_eq(memory_plan_fewest_ranks(&layout, &tiles, (size_t)ceil(one.node_mem_min), 64), 1);
    cr_assert_neq(memory_plan_fewest_ranks(&layout, &tiles, (size_t)one.node_mem_min - 1, 64), 1);
    memory_plan(&layout, 2, 2, &tiles, four);
    double need = 0;
    for (int e = 0; e < 4; e++)
        need = four[e].node_mem_min > need ? four[e].node_mem_min : need;
    const int fewest = memory_plan_fewest_ranks(&layout, &tiles, (size_t)ceil(need), 64);
    cr_assert(fewest > 1 && fewest <= 4, "fewest %d", fewest);
    cr_assert_eq(memory_plan_fewest_ranks(&layout, &tiles, 10, 64), 0, "nothing fits 10 bytes");
    free_tables(&t);
}

/* The charge bound with a step look-ahead L: own tiles, pool, send window
 * and the receptions of the L + 1 consecutive steps that reserve the most
 * (L = 0: all of them), summed step by step from the maths. */
/* Uneven across steps, so that the window's place matters. */
static size_t uneven_size(int i, int j) { return 500 + 91 * (size_t)((i * 7 + j * 3) % 11); }
static size_t later_looser(size_t actual, int j) { return actual + 40 * (size_t)j; }

Test(memory_plan, charge_bound_covers_the_lookahead_steps)
{
    const int nt = 9;
    const long ntiles = (long)nt * (nt + 1) / 2;
    struct tables t = make_tables(nt, uneven_size, later_looser);
    desc_t layout = {.n = nt * 10, .nb = 10, .nt = nt, .ntiles = ntiles, .elem_size = 8};
    const int grids[][2] = {{1, 1}, {2, 2}, {1, 3}, {2, 3}};
    for (int lookahead = 0; lookahead <= 3; lookahead++)
        for (size_t g = 0; g < sizeof grids / sizeof grids[0]; g++) {
            const int p = grids[g][0], q = grids[g][1];
            const plan_tiles_t tiles = {t.actual, t.bound, t.growing, 0.1, 700, 100, lookahead};
            rank_plan_t plan[6];
            cr_assert_eq(memory_plan(&layout, p, q, &tiles, plan), 0);
            for (int e = 0; e < p * q; e++) {
                const double floor = plan[e].own_bytes + plan[e].pool_bytes;
                const int steps = lookahead ? lookahead + 1 : nt;
                const double expected =
                    p * q == 1 ? floor : floor + 700 + largest_steps(e, steps < nt ? steps : nt, nt, p, q, t.bound);
                cr_assert_float_eq(plan[e].charge_bound, expected, 1e-9, "L %d, %dx%d rank %d: %g vs %g", lookahead,
                                   p, q, e, plan[e].charge_bound, expected);
                cr_assert_geq(plan[e].charge_bound, floor + (p * q > 1 ? 700 + plan[e].step_reserved : 0));
            }
        }
    free_tables(&t);
}
