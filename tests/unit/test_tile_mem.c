#include <criterion/criterion.h>

#include "memctl/tile_mem.h"
#include "compression/tile.h"

Test(tile_mem, counts_and_refuses_past_capacity)
{
    tile_mem_reset();
    tile_mem_set_capacity(1000);
    void *a = tile_mem_alloc(600);
    cr_assert_not_null(a);
    cr_assert_eq(tile_mem_actual(), 600);
    cr_assert_null(tile_mem_alloc(500), "600 + 500 passes a capacity of 1000");
    size_t requested = 0, held = 0;
    cr_assert(tile_mem_refused(&requested, &held));
    cr_assert_eq(requested, 500);
    cr_assert_eq(held, 600);
    void *b = tile_mem_alloc(400);
    cr_assert_not_null(b, "600 + 400 is exactly the capacity");
    tile_mem_free(a, 600);
    tile_mem_free(b, 400);
    cr_assert_eq(tile_mem_actual(), 0);
    cr_assert_eq(tile_mem_peak(), 1000);
}

Test(tile, resize_keeps_columns_and_counts_bytes)
{
    tile_mem_reset();
    tile_t t;
    tile_init(&t, 5, 3, sizeof(double));
    cr_assert_eq(tile_resize_lowrank(&t, 2, 0), 0);
    double *u = t.u, *v = t.v;
    for (int i = 0; i < 10; i++) u[i] = i;
    for (int i = 0; i < 6; i++) v[i] = 100 + i;
    cr_assert_eq(tile_mem_actual(), (5 + 3) * 2 * sizeof(double));
    cr_assert_eq(tile_resize_lowrank(&t, 4, 1), 0);
    u = t.u, v = t.v;
    for (int i = 0; i < 10; i++) cr_assert_eq(u[i], i);
    for (int i = 0; i < 6; i++) cr_assert_eq(v[i], 100 + i);
    cr_assert_eq(tile_payload_bytes(&t), (5 + 3) * 4 * sizeof(double));
    cr_assert_eq(tile_mem_actual(), tile_payload_bytes(&t));
    cr_assert_eq(tile_make_dense(&t), 0);
    cr_assert_eq(tile_mem_actual(), 15 * sizeof(double));
    tile_release(&t);
    cr_assert_eq(tile_mem_actual(), 0);
}
