/*
 * desc.h: the descriptor of the distributed lower-triangular tile matrix
 * and of the solution vector.  Tile (i, j), i >= j, lives on rank
 * (i mod P) Q + (j mod Q) (2D block-cyclic); vector piece i lives with the
 * diagonal tile (i, i).  Handles are registered lazily: a rank registers a
 * tile only when a task it takes part in needs it, and drops remote ones
 * after their last use (each registered handle costs about 4.4 KB of RSS
 * in StarPU 1.3, whatever its size: docs/design/starpu-mpi.md).
 */
#ifndef BLRCHOL_DESC_H
#define BLRCHOL_DESC_H

#include <mpi.h>
#include <starpu.h>

typedef struct desc {
    int n, nb, nt;         /* order, tile size, tiles per side */
    int p, q;              /* process grid */
    int rank, nranks;
    int elem_size;         /* 8 (real) or 16 (complex) */
    MPI_Comm comm;         /* StarPU-MPI's communicator */
    long ntiles;           /* nt (nt + 1) / 2 */
    starpu_data_handle_t *tiles;     /* ntiles; NULL where not registered here */
    starpu_data_handle_t *solve_tiles; /* remote placeholders used by the solves */
    starpu_data_handle_t *x;         /* nt vector pieces; NULL where not registered */
    void **x_home;                   /* owned vector pieces' buffers */
    starpu_data_handle_t *partials;  /* 2 sweeps x nt pieces x nranks partial sums (solves) */
    void **partial_home;             /* owned partial sums' buffers */
    size_t *reception_bound;         /* ntiles: what memctl reserves to receive a tile; NULL: its dense size */
} desc_t;

int desc_init(desc_t *d, int n, int nb, int p, int q, int elem_size, MPI_Comm comm);
void desc_destroy(desc_t *d);

static inline long desc_index(const desc_t *d, int i, int j) { return (long)i * (i + 1) / 2 + j; }
static inline int desc_owner(const desc_t *d, int i, int j) { return (i % d->p) * d->q + (j % d->q); }
static inline int desc_tile_rows(const desc_t *d, int i)
{
    int rest = d->n - i * d->nb;
    return rest < d->nb ? rest : d->nb;
}
static inline int desc_is_mine(const desc_t *d, int i, int j) { return desc_owner(d, i, j) == d->rank; }

/* The tiles of the lower triangle this rank owns. */
long desc_count_mine(const desc_t *d);
static inline size_t desc_dense_bytes(const desc_t *d, int i, int j)
{
    return (size_t)desc_tile_rows(d, i) * desc_tile_rows(d, j) * d->elem_size;
}
/* The bytes memctl reserves for a reception of tile (i, j). */
static inline size_t desc_reception_bound(const desc_t *d, int i, int j)
{
    return d->reception_bound ? d->reception_bound[desc_index(d, i, j)] : desc_dense_bytes(d, i, j);
}

/* The handle of tile (i, j), registering it here first if needed. */
starpu_data_handle_t desc_tile(desc_t *d, int i, int j);
/* Readers of tile (i, j) submitted so far were its last on some ranks:
 * flush its cached copies so they are freed once those readers ran. */
void desc_flush(desc_t *d, int i, int j);
/* After the very last reader of tile (i, j): flush, and drop the handle
 * where it is remote. */
void desc_forget(desc_t *d, int i, int j);
/* The handle of tile (i, j) for the solve phase (remote ones are
 * placeholders that are never transferred: solve tasks run on the tile's
 * owner). */
starpu_data_handle_t desc_solve_tile(desc_t *d, int i, int j);
/* Vector piece i, registered here if needed; owned pieces are zeroed on
 * first registration. */
starpu_data_handle_t desc_vector(desc_t *d, int i);
/* The partial sum, on rank `rank`, of the updates to vector piece i in
 * solve sweep `sweep` (0 forward, 1 backward): the rank adds its tiles'
 * contributions there, and the piece's owner adds the sum in once, instead
 * of the piece travelling to every rank that updates it.  Zeroed on first
 * registration, registered here if needed. */
starpu_data_handle_t desc_partial(desc_t *d, int i, int sweep, int rank);
/* After a solve has completed: drop the partial sums, so that the next
 * solve starts from zero. */
void desc_drop_partials(desc_t *d);

#endif
