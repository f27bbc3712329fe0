/*
 * runtime_alloc.h: the bytes StarPU and StarPU-MPI allocate themselves,
 * made visible to the tile allocator's count (memctl/tile_mem.h) and to
 * memctl.
 *
 * StarPU-MPI 1.3 receives a message whose receive is not posted yet ("early
 * data": the sender ran ahead of this rank's submission, typically while
 * memctl holds it) into a raw buffer of the message's size, allocated with
 * starpu_malloc_on_node_flags(STARPU_MAIN_RAM, size, 0)
 * (_starpu_mpi_receive_early_data, mpi/src/mpi/starpu_mpi_mpi.c), and hands
 * it to the tile interface's unpack once the task that reads the tile is
 * submitted; unpack frees it.  Sends of a tile hold a packed copy until the
 * message has left.  Neither is a tile buffer, yet both are bytes the rank
 * holds for tiles.  A posted receive of a packed tile also lands in a raw
 * buffer of the same kind first (_starpu_mpi_irecv_size_func, lines 194
 * and 261 of that file), unpacked and freed as soon as it is complete.
 * starpu_malloc_set_hooks routes every allocation StarPU makes in main
 * memory through this module: flags 0 are these receive buffers, early or
 * posted (StarPU's other allocations carry STARPU_MALLOC_PINNED |
 * STARPU_MALLOC_COUNT); send buffers are allocated here by the pack.  At
 * most STARPU_MPI_NDETACHED_SEND sends (default 10) are packed at a time
 * (_starpu_mpi_progress_thread_func).
 */
#ifndef BLRCHOL_RUNTIME_ALLOC_H
#define BLRCHOL_RUNTIME_ALLOC_H

#include <stddef.h>

typedef enum { RUNTIME_RECV, RUNTIME_SEND, RUNTIME_OTHER, RUNTIME_KINDS } runtime_kind_t;

/* Install the hooks: before StarPU starts, so that every buffer it frees
 * went through them. */
void runtime_alloc_install(void);
int runtime_alloc_installed(void);

/* A send buffer for the tile interface's pack; StarPU-MPI frees it with
 * starpu_free_on_node_flags(..., 0).  Without the hooks, StarPU's own. */
void *runtime_alloc_send_buffer(size_t bytes);

size_t runtime_alloc_bytes(runtime_kind_t kind);
size_t runtime_alloc_peak(runtime_kind_t kind);
/* Peaks start again from the bytes held now. */
void runtime_alloc_reset_peaks(void);

#endif
