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

/* Early data is part of `actual`; posted receive and send buffers are the
 * runtime's; the capacity bounds the sum.  Neither kind can be refused
 * (StarPU takes no refusal there), so passing the capacity with them is
 * recorded as a refusal: the run ends "oom". */
Test(tile_mem, early_and_runtime_bytes_count_against_the_capacity)
{
    tile_mem_reset();
    tile_mem_set_capacity(1000);
    void *a = tile_mem_alloc(500);
    tile_mem_early_add(200);
    cr_assert_eq(tile_mem_actual(), 700);
    cr_assert_eq(tile_mem_early(), 200);
    tile_mem_count(100);
    cr_assert_eq(tile_mem_runtime(), 100);
    cr_assert_null(tile_mem_alloc(201), "500 + 200 early + 100 runtime + 201 passes 1000");
    size_t requested = 0, held = 0;
    cr_assert(tile_mem_refused(&requested, &held));
    cr_assert_eq(requested, 201);
    cr_assert_eq(held, 800);
    cr_assert_eq(tile_mem_refusal_kind(), TILE_MEM_REFUSED_TILE);
    void *b = tile_mem_alloc(200);
    cr_assert_not_null(b, "exactly the capacity");
    cr_assert_eq(tile_mem_peak_total(), 1000);
    tile_mem_early_sub(200);
    tile_mem_uncount(100);
    cr_assert_eq(tile_mem_actual(), 700);
    cr_assert_eq(tile_mem_peak(), 900);
    cr_assert_eq(tile_mem_peak_early(), 200);
    tile_mem_free(a, 500);
    tile_mem_free(b, 200);

    tile_mem_reset();
    tile_mem_set_capacity(1000);
    a = tile_mem_alloc(900);
    cr_assert(!tile_mem_refused(NULL, NULL));
    tile_mem_early_add(150);                    /* arrives anyway */
    cr_assert_eq(tile_mem_actual(), 1050);
    cr_assert(tile_mem_refused(&requested, &held), "early data past the capacity is a refusal");
    cr_assert_eq(requested, 150);
    cr_assert_eq(held, 900);
    cr_assert_eq(tile_mem_refusal_kind(), TILE_MEM_REFUSED_EARLY);
    tile_mem_early_sub(150);
    tile_mem_free(a, 900);

    tile_mem_reset();
    tile_mem_set_capacity(1000);
    tile_mem_count(1001);
    cr_assert(tile_mem_refused(NULL, NULL));
    cr_assert_eq(tile_mem_refusal_kind(), TILE_MEM_REFUSED_RUNTIME);
    tile_mem_uncount(1001);
    tile_mem_reset();
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
