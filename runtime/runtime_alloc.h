/*
 * runtime_alloc.h: the bytes StarPU and StarPU-MPI allocate themselves,
 * made visible to the tile allocator's count (memctl/tile_mem.h) and so to
 * memctl and --node-mem.
 *
 * What StarPU-MPI 1.3.10 does with a packed tile (a data interface without
 * an MPI datatype; mpi/src/mpi/starpu_mpi_mpi.c):
 * - Posted receive: when the sender's envelope finds the receive request
 *   already queued (_starpu_mpi_progress_thread_func, "Got the early
 *   request"), the progress thread calls _starpu_mpi_datatype_allocate on
 *   the tile's handle, then allocates a raw buffer of the message's size,
 *   starpu_malloc_on_node_flags(STARPU_MAIN_RAM, size, 0), and counts it
 *   with starpu_memory_allocate(..., STARPU_MEMORY_OVERFLOW).  On completion
 *   _starpu_mpi_handle_request_termination calls starpu_data_unpack (our
 *   unpack frees the buffer) and starpu_memory_deallocate.
 * - Early data: when no receive request is queued yet (this rank has not
 *   submitted the reading task, or its receive's W acquire is not granted
 *   yet), _starpu_mpi_receive_early_data allocates the same raw buffer,
 *   starpu_malloc_on_node_flags(STARPU_MAIN_RAM, size, 0), without
 *   starpu_memory_allocate (so StarPU's own per-node count never sees it),
 *   registers a temporary variable handle on it and receives into it.  It
 *   lives until the matching receive is posted: _starpu_mpi_submit_ready_request
 *   finds the early data handle and acquires it, and _starpu_mpi_early_data_cb
 *   calls _starpu_mpi_datatype_get_user_defined_datatype on the tile's
 *   handle, then the tile interface's unpack_data, which frees the buffer,
 *   then unregisters the temporary handle.
 * - Send: _starpu_mpi_isend_size_func calls _starpu_mpi_datatype_allocate,
 *   then pack_data twice (size, then buffer); the packed buffer is freed
 *   with starpu_free_on_node_flags(..., 0) once the send completed.  At
 *   most STARPU_MPI_NDETACHED_SEND sends are packed at a time.
 *
 * How the two receive buffers are told apart, exactly: the tile interface
 * registers an MPI datatype function for its interface id
 * (starpu_mpi_interface_datatype_register) that creates no datatype (it
 * returns non-zero, so StarPU-MPI keeps packing) but marks the calling
 * thread.  A flags-0 allocation on a marked thread is a posted receive's
 * buffer (the datatype call came just before it); on an unmarked thread it
 * is early data.  Pack and unpack clear the mark (the datatype call before
 * a send, and the one before an early unpack).  The unpack cross-checks
 * every buffer: an early buffer is unpacked from _starpu_mpi_early_data_cb,
 * i.e. on a marked thread, a posted one on an unmarked thread;
 * runtime_alloc_check_failures counts the buffers where the two disagree.
 *
 * Early data is also charged to memctl as it comes and goes (memctl_early:
 * nobody reserved it; it never blocks).
 *
 * Every allocation StarPU makes in main memory goes through
 * starpu_malloc_set_hooks into this module; StarPU's other allocations
 * (replicas of built-in interfaces: the solve's vector pieces) carry
 * STARPU_MALLOC_PINNED and are counted apart, not as tile bytes.
 */
#ifndef BLRCHOL_RUNTIME_ALLOC_H
#define BLRCHOL_RUNTIME_ALLOC_H

#include <stddef.h>

typedef enum { RUNTIME_RECV, RUNTIME_EARLY, RUNTIME_SEND, RUNTIME_OTHER, RUNTIME_KINDS } runtime_kind_t;

/* Install the hooks: before StarPU starts, so that every buffer it frees
 * went through them. */
void runtime_alloc_install(void);

/* Called once with the tile interface's id, after StarPU-MPI is up and
 * before any communication: registers the marking datatype function. */
void runtime_alloc_watch_interface(int interface_id);

/* A send buffer for the tile interface's pack; StarPU-MPI frees it with
 * starpu_free_on_node_flags(..., 0).  Without the hooks, StarPU's own. */
void *runtime_alloc_send_buffer(size_t bytes);

/* The tile interface's pack calls this first (clears the thread's mark). */
void runtime_alloc_packing(void);
/* The tile interface's unpack calls this with the received buffer before
 * freeing it: checks its kind against the thread's mark, clears the mark,
 * and returns the buffer's kind (RUNTIME_OTHER when the hooks are not
 * installed). */
runtime_kind_t runtime_alloc_unpacking(const void *buffer);

size_t runtime_alloc_peak(runtime_kind_t kind);
/* Buffers allocated of each kind since the last reset. */
long runtime_alloc_count(runtime_kind_t kind);
/* Unpacked buffers whose allocation-time kind (early or posted) disagrees
 * with the path that unpacked them: 0 when the classification is exact. */
long runtime_alloc_check_failures(void);
/* Peaks start again from the bytes held now; counts from zero. */
void runtime_alloc_reset_peaks(void);

#endif
