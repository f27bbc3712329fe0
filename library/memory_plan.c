#include "library/memory_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "include/blrchol.h"

#include "algorithm/cholesky_tasks.h"

/* The walk of one phase of step k on a P x Q grid, for every rank at once:
 * each rank's distinct remote reads, summed at their bound and actual size.
 * `seen[e * nt + m]` stamps tile (m, k)'s reception by rank e in step k. */
struct step_walk {
    desc_t grid;
    const plan_tiles_t *tiles;
    int *seen;
    double *reserved, *actual; /* per rank, this step */
    double *step_reserved;     /* step_reserved[e * nt + k]: rank e's receptions of step k at their bound */
};

static int count_receptions(void *ctx, const chol_task_t *t)
{
    struct step_walk *w = ctx;
    const int executor = desc_owner(&w->grid, t->m, t->n);
    int reads[2][2];
    const int nreads = chol_task_reads(t, reads);
    for (int r = 0; r < nreads; r++) {
        const int i = reads[r][0], j = reads[r][1];
        int *stamp = &w->seen[(size_t)executor * w->grid.nt + i];
        if (desc_owner(&w->grid, i, j) == executor || *stamp == j + 1)
            continue;
        *stamp = j + 1;
        const long index = desc_index(&w->grid, i, j);
        w->reserved[executor] += (double)w->tiles->bound[index];
        w->actual[executor] += (double)w->tiles->actual[index];
    }
    return 0;
}

static void own_tiles(const desc_t *grid, const plan_tiles_t *tiles, rank_plan_t *out)
{
    for (int j = 0; j < grid->nt; j++)
        for (int i = j; i < grid->nt; i++) {
            const long index = desc_index(grid, i, j);
            rank_plan_t *owner = &out[desc_owner(grid, i, j)];
            owner->own_bytes += (double)tiles->actual[index];
            if (tiles->growing[index])
                owner->pool_bytes += tiles->growth_margin * (double)tiles->actual[index];
        }
}

/* The least capacity whose default watermarks (memctl_watermarks_for) hold
 * the rank's floor plus its largest step's reservations under high; one
 * rank alone sends and receives nothing. */
static double least_node_mem(const rank_plan_t *r, const plan_tiles_t *tiles, int nranks)
{
    const double floor = r->own_bytes + r->pool_bytes;
    if (nranks == 1)
        return floor;
    return floor + (double)tiles->send_window + r->step_reserved + 2.0 * tiles->message;
}

/* The largest sum of `steps` consecutive values of per_step[0 .. nt-1]. */
static double largest_window(const double *per_step, int nt, int steps)
{
    double sum = 0, largest = 0;
    for (int k = 0; k < nt; k++) {
        sum += per_step[k];
        if (k >= steps)
            sum -= per_step[k - steps];
        if (sum > largest)
            largest = sum;
    }
    return largest;
}

/* The most memctl charges when no capacity makes it block: the floor, and
 * the receptions of the L steps submitted ahead plus those of the step
 * whose copies are being freed; unbounded, every step's at once.  One rank
 * alone receives nothing. */
static double charge_bound(const rank_plan_t *r, const double *per_step, int nt, const plan_tiles_t *tiles,
                           int nranks)
{
    const double floor = r->own_bytes + r->pool_bytes;
    if (nranks == 1)
        return floor;
    const int steps = tiles->lookahead > 0 ? tiles->lookahead + 1 : nt;
    return floor + (double)tiles->send_window + largest_window(per_step, nt, steps);
}

int memory_plan(const desc_t *layout, int p, int q, const plan_tiles_t *tiles, rank_plan_t *out)
{
    const int nranks = p * q, nt = layout->nt;
    struct step_walk w = {.grid = *layout, .tiles = tiles};
    w.grid.p = p, w.grid.q = q, w.grid.nranks = nranks;
    w.seen = calloc((size_t)nranks * nt, sizeof *w.seen);
    w.reserved = calloc(nranks, sizeof *w.reserved);
    w.actual = calloc(nranks, sizeof *w.actual);
    w.step_reserved = calloc((size_t)nranks * nt, sizeof *w.step_reserved);
    if (!w.seen || !w.reserved || !w.actual || !w.step_reserved) {
        free(w.seen), free(w.reserved), free(w.actual), free(w.step_reserved);
        return -1;
    }
    memset(out, 0, nranks * sizeof *out);
    own_tiles(&w.grid, tiles, out);
    const task_visitor_t counter = {count_receptions, NULL, &w};
    for (int k = 0; k < nt; k++) {
        memset(w.reserved, 0, nranks * sizeof *w.reserved);
        memset(w.actual, 0, nranks * sizeof *w.actual);
        for (chol_phase_t phase = PHASE_DIAGONAL; phase <= PHASE_UPDATE; phase++)
            chol_walk_phase(&w.grid, k, phase, &counter);
        for (int e = 0; e < nranks; e++) {
            w.step_reserved[(size_t)e * nt + k] = w.reserved[e];
            if (w.reserved[e] > out[e].step_reserved) {
                out[e].step_reserved = w.reserved[e];
                out[e].step_actual = w.actual[e];
                out[e].largest_step = k;
            }
        }
    }
    for (int e = 0; e < nranks; e++) {
        out[e].node_mem_min = least_node_mem(&out[e], tiles, nranks);
        out[e].charge_bound = charge_bound(&out[e], &w.step_reserved[(size_t)e * nt], nt, tiles, nranks);
    }
    free(w.seen), free(w.reserved), free(w.actual), free(w.step_reserved);
    return 0;
}

static double least_memory(int n, int nb, blrchol_scalar_t scalar, int nranks)
{
    const double esz = scalar == BLRCHOL_REAL_SYMMETRIC ? 8 : 16;
    const double nt = ceil((double)n / nb), offdiag = nt * (nt - 1) / 2;
    const double tiles = (double)n * nb * esz + offdiag * 2.0 * nb * esz;
    const double points = 3.0 * 8 * n + 8.0 * n + 2.0 * sizeof(int) * n; /* coordinates, weights, permutation */
    return tiles / nranks + points;
}

size_t blrchol_memory_per_rank(size_t node_mem, MPI_Comm comm)
{
    if (node_mem && node_mem != BLRCHOL_NODE_MEM_NONE)
        return node_mem;
    MPI_Comm node;
    int rank, ranks_here = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &ranks_here);
    MPI_Comm_free(&node);
    return (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE) / ranks_here;
}

int blrchol_check_memory(int n, int nb, blrchol_scalar_t scalar, size_t node_mem, MPI_Comm comm, char *why,
                         size_t size)
{
    if (node_mem == BLRCHOL_NODE_MEM_NONE)
        return BLRCHOL_OK;
    int nranks;
    MPI_Comm_size(comm, &nranks);
    const double least = least_memory(n, nb, scalar, nranks);
    double capacity = (double)blrchol_memory_per_rank(node_mem, comm);
    MPI_Allreduce(MPI_IN_PLACE, &capacity, 1, MPI_DOUBLE, MPI_MIN, comm);
    if (least <= capacity)
        return BLRCHOL_OK;
    snprintf(why, size,
             "n=%d needs at least %.1f GiB per rank on %d ranks (dense diagonal tiles, every other tile at rank 1, "
             "the points), %.1f GiB available (%s): use more ranks, or a smaller n",
             n, least / 1073741824.0, nranks, capacity / 1073741824.0,
             node_mem ? "--node-mem" : "the node's memory shared by its ranks");
    return BLRCHOL_OUT_OF_MEMORY;
}

int plan_default_grid_rows(int nranks)
{
    int p = 1;
    for (int d = 1; d * d <= nranks; d++)
        if (nranks % d == 0)
            p = d;
    return p;
}

/* Every count up to 32, then steps of about a quarter. */
static int next_rank_count(int r) { return r < 32 ? r + 1 : r + r / 4 - (r + r / 4) % 4; }

int memory_plan_fewest_ranks(const desc_t *layout, const plan_tiles_t *tiles, size_t node_mem, int max_ranks)
{
    const long ntiles = layout->ntiles;
    for (int r = 1; r <= max_ranks && r <= ntiles; r = next_rank_count(r)) {
        rank_plan_t *plan = malloc(r * sizeof *plan);
        const int p = plan_default_grid_rows(r);
        if (!plan || memory_plan(layout, p, r / p, tiles, plan) != 0) {
            free(plan);
            return 0;
        }
        int fits = 1;
        for (int e = 0; e < r && fits; e++)
            fits = plan[e].node_mem_min <= (double)node_mem;
        free(plan);
        if (fits)
            return r;
    }
    return 0;
}
