#include "algorithm/desc.h"

#include <stdlib.h>
#include <string.h>
#include <starpu_mpi.h>

#include "runtime/tile_interface.h"

/* Tag ranges: factor tiles, solve placeholders, vector pieces, partial sums. */
static starpu_mpi_tag_t tag_tile(const desc_t *d, long index) { return index; }
static starpu_mpi_tag_t tag_solve_tile(const desc_t *d, long index) { return d->ntiles + index; }
static starpu_mpi_tag_t tag_vector(const desc_t *d, int i) { return 2 * d->ntiles + i; }
static starpu_mpi_tag_t tag_partial(const desc_t *d, long index) { return 2 * d->ntiles + d->nt + index; }

int desc_init(desc_t *d, int n, int nb, int p, int q, int elem_size, MPI_Comm comm)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->nb = nb;
    d->nt = (n + nb - 1) / nb;
    d->p = p;
    d->q = q;
    d->elem_size = elem_size;
    d->comm = comm;
    MPI_Comm_rank(comm, &d->rank);
    MPI_Comm_size(comm, &d->nranks);
    d->ntiles = (long)d->nt * (d->nt + 1) / 2;
    d->tiles = calloc(d->ntiles, sizeof *d->tiles);
    d->solve_tiles = calloc(d->ntiles, sizeof *d->solve_tiles);
    d->x = calloc(d->nt, sizeof *d->x);
    d->x_home = calloc(d->nt, sizeof *d->x_home);
    d->partials = calloc((size_t)2 * d->nt * d->nranks, sizeof *d->partials);
    d->partial_home = calloc((size_t)2 * d->nt * d->nranks, sizeof *d->partial_home);
    if (!d->tiles || !d->solve_tiles || !d->x || !d->x_home || !d->partials || !d->partial_home) {
        desc_destroy(d);
        return -1;
    }
    return 0;
}

starpu_data_handle_t desc_tile(desc_t *d, int i, int j)
{
    long index = desc_index(d, i, j);
    if (!d->tiles[index]) {
        int owner = desc_owner(d, i, j);
        tile_interface_register(&d->tiles[index], desc_tile_rows(d, i), desc_tile_rows(d, j), d->elem_size,
                                (int)index, owner != d->rank);
        starpu_mpi_data_register_comm(d->tiles[index], tag_tile(d, index), owner, d->comm);
    }
    return d->tiles[index];
}

void desc_flush(desc_t *d, int i, int j)
{
    long index = desc_index(d, i, j);
    if (d->tiles[index])
        starpu_mpi_cache_flush(d->comm, d->tiles[index]);
}

void desc_forget(desc_t *d, int i, int j)
{
    long index = desc_index(d, i, j);
    if (!d->tiles[index])
        return;
    starpu_mpi_cache_flush(d->comm, d->tiles[index]);
    if (!desc_is_mine(d, i, j)) {
        starpu_data_unregister_submit(d->tiles[index]);
        d->tiles[index] = NULL;
    }
}

starpu_data_handle_t desc_solve_tile(desc_t *d, int i, int j)
{
    if (desc_is_mine(d, i, j))
        return desc_tile(d, i, j);
    long index = desc_index(d, i, j);
    if (!d->solve_tiles[index]) {
        tile_interface_register(&d->solve_tiles[index], desc_tile_rows(d, i), desc_tile_rows(d, j),
                                d->elem_size, (int)index, 1);
        starpu_mpi_data_register_comm(d->solve_tiles[index], tag_solve_tile(d, index), desc_owner(d, i, j),
                                      d->comm);
    }
    return d->solve_tiles[index];
}

/* Register a vector of `rows` entries, zeroed and owned here or a remote
 * placeholder, under `tag`. */
static void register_vector(desc_t *d, starpu_data_handle_t *handle, void **home, int rows, int owner,
                            starpu_mpi_tag_t tag)
{
    if (owner == d->rank) {
        *home = calloc(rows, d->elem_size);
        starpu_vector_data_register(handle, STARPU_MAIN_RAM, (uintptr_t)*home, rows, d->elem_size);
    } else {
        starpu_vector_data_register(handle, -1, 0, rows, d->elem_size);
    }
    starpu_mpi_data_register_comm(*handle, tag, owner, d->comm);
}

starpu_data_handle_t desc_vector(desc_t *d, int i)
{
    if (!d->x[i])
        register_vector(d, &d->x[i], &d->x_home[i], desc_tile_rows(d, i), desc_owner(d, i, i), tag_vector(d, i));
    return d->x[i];
}

starpu_data_handle_t desc_partial(desc_t *d, int i, int sweep, int rank)
{
    long index = ((long)sweep * d->nt + i) * d->nranks + rank;
    if (!d->partials[index])
        register_vector(d, &d->partials[index], &d->partial_home[index], desc_tile_rows(d, i), rank,
                        tag_partial(d, index));
    return d->partials[index];
}

void desc_drop_partials(desc_t *d)
{
    size_t npartials = (size_t)2 * d->nt * d->nranks;
    for (size_t k = 0; k < npartials; k++) {
        if (d->partials[k])
            starpu_data_unregister(d->partials[k]);
        d->partials[k] = NULL;
        free(d->partial_home[k]);
        d->partial_home[k] = NULL;
    }
}

void desc_destroy(desc_t *d)
{
    if (d->tiles)
        for (long t = 0; t < d->ntiles; t++)
            if (d->tiles[t])
                starpu_data_unregister(d->tiles[t]);
    if (d->solve_tiles)
        for (long t = 0; t < d->ntiles; t++)
            if (d->solve_tiles[t])
                starpu_data_unregister(d->solve_tiles[t]);
    if (d->x)
        for (int i = 0; i < d->nt; i++)
            if (d->x[i])
                starpu_data_unregister(d->x[i]);
    if (d->x_home)
        for (int i = 0; i < d->nt; i++)
            free(d->x_home[i]);
    if (d->partials && d->partial_home)
        desc_drop_partials(d);
    free(d->tiles);
    free(d->reception_bound);
    free(d->solve_tiles);
    free(d->x);
    free(d->x_home);
    free(d->partials);
    free(d->partial_home);
    memset(d, 0, sizeof *d);
}

long desc_count_mine(const desc_t *d)
{
    long count = 0;
    for (int j = 0; j < d->nt; j++)
        for (int i = j; i < d->nt; i++)
            count += desc_is_mine(d, i, j);
    return count;
}
