/*
 * tile_interface.h: the tile (compression/tile.h) as a StarPU data
 * interface of its own.  StarPU-MPI ships it with pack/unpack at whatever
 * rank it has (docs/design/starpu-mpi.md): the message carries
 * a 16-byte header {m, n, rank, elem_size} and the payload, never a maximum
 * rank.  Codelets reallocate U/V in place through the tile functions, i.e.
 * through tile_mem, the allocator memctl sees.
 *
 * memctl sees every copy (memctl/memctl.h; nothing while memctl is not
 * started): unpack_data reports the received size of a remote tile,
 * free_data_on_node that a remote copy is gone, and codelets the new size
 * of a local tile they wrote.
 */
#ifndef BLRCHOL_TILE_INTERFACE_H
#define BLRCHOL_TILE_INTERFACE_H

#include <starpu.h>
#include "compression/tile.h"

struct tile_interface {
    int id;          /* starpu_data_interface_id, first like StarPU's own interfaces */
    tile_t tile;
    int tile_index;  /* global tile number (memctl's tile id), -1 for none */
    int remote;      /* 1 when this rank does not own the tile: copies here are cached receptions */
};

/* Register a tile of shape m x n, element size elem_size, with no storage
 * yet (rank 0); StarPU allocates on first access (home node -1). */
void tile_interface_register(starpu_data_handle_t *handle, int m, int n, int elem_size, int tile_index,
                             int remote);

/* The tile inside a codelet buffer. */
static inline tile_t *tile_of_buffer(void *buffer)
{
    return &((struct tile_interface *)buffer)->tile;
}

/* The tile on main RAM of a handle the caller has acquired. */
tile_t *tile_interface_get(starpu_data_handle_t handle);

/* Called by codelets after writing the tile of `buffer`: memctl learns a
 * local tile's new size. */
void tile_interface_note_written(void *buffer);
/* Called by codelets after the last update of the tile of `buffer`: a
 * local tile gives memctl back its share of the growth pool. */
void tile_interface_note_final(void *buffer);

#endif
