/*
 * mesh.c: Gmsh MSH 2.2 and 4.1 ASCII readers (bem/mesh.h).  Only what a
 * surface BEM needs is kept: node coordinates and 3-node triangles
 * (element type 2).  Every error names the file and the line.
 */
#include "bem/mesh.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GMSH_TRIANGLE 2

struct node {
    long tag;
    double xyz[3];
    long line;
};

struct reader {
    FILE *file;
    const char *path;
    long line_number;
    long elements_line; /* where $Elements starts: a mesh without triangles is reported there */
    char line[4096];
    char *error;
    size_t error_size;
};

static int fail(struct reader *r, const char *format, ...)
{
    int used = snprintf(r->error, r->error_size, "%s:%ld: ", r->path, r->line_number);
    va_list args;
    va_start(args, format);
    if (used >= 0 && (size_t)used < r->error_size)
        vsnprintf(r->error + used, r->error_size - used, format, args);
    va_end(args);
    return -1;
}

/* The next line (without its newline), or NULL at the end of the file. */
static char *next_line(struct reader *r)
{
    if (!fgets(r->line, sizeof r->line, r->file))
        return NULL;
    r->line_number++;
    r->line[strcspn(r->line, "\r\n")] = 0;
    return r->line;
}

static int expect_line(struct reader *r, const char *what)
{
    if (!next_line(r))
        return fail(r, "unexpected end of file: %s expected", what);
    return 0;
}

/* Parse `count` integers from the current line into out; extra fields are
 * left for the caller (element node lists). */
static int parse_longs(struct reader *r, char **cursor, long *out, int count, const char *what)
{
    for (int k = 0; k < count; k++) {
        char *end;
        out[k] = strtol(*cursor, &end, 10);
        if (end == *cursor)
            return fail(r, "malformed %s: \"%s\"", what, r->line);
        *cursor = end;
    }
    return 0;
}

static int parse_doubles(struct reader *r, char **cursor, double *out, int count, const char *what)
{
    for (int k = 0; k < count; k++) {
        char *end;
        out[k] = strtod(*cursor, &end);
        if (end == *cursor || !isfinite(out[k]))
            return fail(r, "malformed %s: \"%s\"", what, r->line);
        *cursor = end;
    }
    return 0;
}

/* Skip a section we do not use, up to its $End line. */
static int skip_section(struct reader *r, const char *name)
{
    char end[256];
    snprintf(end, sizeof end, "$End%s", name + 1);
    while (next_line(r))
        if (strcmp(r->line, end) == 0)
            return 0;
    return fail(r, "unexpected end of file: %s expected", end);
}

struct growing {
    void *items;
    size_t count, capacity, size;
};

static void *grow(struct growing *g)
{
    if (g->count == g->capacity) {
        size_t capacity = g->capacity ? 2 * g->capacity : 1024;
        void *items = realloc(g->items, capacity * g->size);
        if (!items)
            return NULL;
        g->items = items;
        g->capacity = capacity;
    }
    return (char *)g->items + g->size * g->count++;
}

static int add_node(struct reader *r, struct growing *nodes, long tag, const double *xyz)
{
    struct node *n = grow(nodes);
    if (!n)
        return fail(r, "out of memory");
    *n = (struct node){tag, {xyz[0], xyz[1], xyz[2]}, r->line_number};
    return 0;
}

struct triangle {
    long nodes[3];
    long line;
};

static int add_triangle(struct reader *r, struct growing *triangles, const long *nodes)
{
    struct triangle *t = grow(triangles);
    if (!t)
        return fail(r, "out of memory");
    *t = (struct triangle){{nodes[0], nodes[1], nodes[2]}, r->line_number};
    return 0;
}

static int read_v2_nodes(struct reader *r, struct growing *nodes)
{
    long count;
    char *cursor;
    if (expect_line(r, "the number of nodes") || (cursor = r->line, parse_longs(r, &cursor, &count, 1, "node count")))
        return -1;
    if (count < 0)
        return fail(r, "negative node count");
    for (long k = 0; k < count; k++) {
        long tag;
        double xyz[3];
        if (expect_line(r, "a node") || (cursor = r->line, parse_longs(r, &cursor, &tag, 1, "node")) ||
            parse_doubles(r, &cursor, xyz, 3, "node") || add_node(r, nodes, tag, xyz))
            return -1;
    }
    if (expect_line(r, "$EndNodes") || strcmp(r->line, "$EndNodes") != 0)
        return fail(r, "$EndNodes expected after %ld nodes", count);
    return 0;
}

/* Every element sits on a line of its own, so an element of another type
 * than the 3-node triangle is skipped without knowing its node count:
 * points, lines, quadrangles, curved triangles are all counted in
 * `ignored` alike. */
static int read_v2_elements(struct reader *r, struct growing *triangles, int *ignored)
{
    long count;
    char *cursor;
    if (expect_line(r, "the number of elements") ||
        (cursor = r->line, parse_longs(r, &cursor, &count, 1, "element count")))
        return -1;
    for (long k = 0; k < count; k++) {
        long head[3], nodes[3];
        if (expect_line(r, "an element") || (cursor = r->line, parse_longs(r, &cursor, head, 3, "element")))
            return -1;
        if (head[1] < 1)
            return fail(r, "malformed element: type %ld", head[1]);
        if (head[1] != GMSH_TRIANGLE) {
            ++*ignored;
            continue;
        }
        long ntags = head[2], tags[64];
        if (ntags < 0 || ntags > 64)
            return fail(r, "malformed element: %ld tags", ntags);
        if (parse_longs(r, &cursor, tags, (int)ntags, "element tags") ||
            parse_longs(r, &cursor, nodes, 3, "triangle") || add_triangle(r, triangles, nodes))
            return -1;
    }
    if (expect_line(r, "$EndElements") || strcmp(r->line, "$EndElements") != 0)
        return fail(r, "$EndElements expected after %ld elements", count);
    return 0;
}

/* Tags first, then coordinates, per block.  Nodes are added as their tags
 * are read and their coordinates filled in after, so that nothing is
 * allocated from a count the file declares (a crafted count must not size
 * a buffer); the blocks must hold the count of the section header. */
static int read_v4_nodes(struct reader *r, struct growing *nodes)
{
    long head[4];
    char *cursor;
    if (expect_line(r, "the nodes header") || (cursor = r->line, parse_longs(r, &cursor, head, 4, "nodes header")))
        return -1;
    long total = 0;
    for (long block = 0; block < head[0]; block++) {
        long entity[4];
        if (expect_line(r, "a node block") || (cursor = r->line, parse_longs(r, &cursor, entity, 4, "node block")))
            return -1;
        long count = entity[3];
        if (count < 0)
            return fail(r, "negative node count in a block");
        size_t first = nodes->count;
        for (long k = 0; k < count; k++) {
            long tag;
            static const double unknown[3] = {0, 0, 0};
            if (expect_line(r, "a node tag") || (cursor = r->line, parse_longs(r, &cursor, &tag, 1, "node tag")) ||
                add_node(r, nodes, tag, unknown))
                return -1;
        }
        /* Parametric coordinates (entity[2] = 1) follow x y z on the
         * same line: not needed. */
        for (long k = 0; k < count; k++) {
            struct node *node = (struct node *)nodes->items + first + k;
            if (expect_line(r, "node coordinates") ||
                (cursor = r->line, parse_doubles(r, &cursor, node->xyz, 3, "node coordinates")))
                return -1;
        }
        total += count;
    }
    if (expect_line(r, "$EndNodes") || strcmp(r->line, "$EndNodes") != 0)
        return fail(r, "$EndNodes expected after %ld nodes", total);
    if (total != head[1])
        return fail(r, "the $Nodes header announces %ld nodes, its blocks hold %ld", head[1], total);
    return 0;
}

static int read_v4_elements(struct reader *r, struct growing *triangles, int *ignored)
{
    long head[4];
    char *cursor;
    if (expect_line(r, "the elements header") ||
        (cursor = r->line, parse_longs(r, &cursor, head, 4, "elements header")))
        return -1;
    long total = 0;
    for (long block = 0; block < head[0]; block++) {
        long entity[4];
        if (expect_line(r, "an element block") ||
            (cursor = r->line, parse_longs(r, &cursor, entity, 4, "element block")))
            return -1;
        long type = entity[2], count = entity[3];
        if (type < 1 || count < 0)
            return fail(r, "malformed element block: type %ld, %ld elements", type, count);
        for (long k = 0; k < count; k++) {
            long fields[4]; /* tag and, for a triangle, its 3 nodes */
            if (expect_line(r, "an element") ||
                (cursor = r->line, parse_longs(r, &cursor, fields, type == GMSH_TRIANGLE ? 4 : 1, "element")))
                return -1;
            if (type != GMSH_TRIANGLE)
                ++*ignored;
            else if (add_triangle(r, triangles, fields + 1))
                return -1;
        }
        total += count;
    }
    if (expect_line(r, "$EndElements") || strcmp(r->line, "$EndElements") != 0)
        return fail(r, "$EndElements expected after %ld elements", total);
    if (total != head[1])
        return fail(r, "the $Elements header announces %ld elements, its blocks hold %ld", head[1], total);
    return 0;
}

static int by_tag(const void *a, const void *b)
{
    long ta = ((const struct node *)a)->tag, tb = ((const struct node *)b)->tag;
    return (ta > tb) - (ta < tb);
}

/* Nodes sorted by tag for the triangles' look-ups; an error for a tag
 * that appears twice, at the later of its lines. */
static int sort_nodes(struct reader *r, struct growing *nodes)
{
    /* Without nodes the list is NULL, which qsort and bsearch must not see. */
    struct node *list = nodes->items;
    if (list)
        qsort(list, nodes->count, sizeof *list, by_tag);
    for (size_t k = 1; k < nodes->count; k++)
        if (list[k].tag == list[k - 1].tag) {
            r->line_number = list[k].line > list[k - 1].line ? list[k].line : list[k - 1].line;
            return fail(r, "duplicate node tag %ld", list[k].tag);
        }
    return 0;
}

/* The 9 coordinates of a triangle from its nodes' tags. */
static int triangle_vertices(struct reader *r, const struct growing *nodes, const struct triangle *triangle,
                             double *v)
{
    for (int c = 0; c < 3; c++) {
        struct node key = {.tag = triangle->nodes[c]};
        const struct node *found = nodes->items ? bsearch(&key, nodes->items, nodes->count, sizeof key, by_tag) : NULL;
        if (!found)
            return fail(r, "triangle on node %ld, which is not in $Nodes", key.tag);
        memcpy(v + 3 * c, found->xyz, 3 * sizeof(double));
    }
    return 0;
}

/* Centroid, area and longest edge of triangle t of the mesh; an error
 * when it is degenerate. */
static int triangle_measures(struct reader *r, bem_mesh_t *mesh, size_t t)
{
    const double *v = mesh->vertices + 9 * t;
    double e1[3], e2[3], e3[3], normal[3];
    for (int k = 0; k < 3; k++) {
        e1[k] = v[3 + k] - v[k];
        e2[k] = v[6 + k] - v[k];
        e3[k] = v[6 + k] - v[3 + k];
        mesh->centroids[3 * t + k] = (v[k] + v[3 + k] + v[6 + k]) / 3;
    }
    normal[0] = e1[1] * e2[2] - e1[2] * e2[1];
    normal[1] = e1[2] * e2[0] - e1[0] * e2[2];
    normal[2] = e1[0] * e2[1] - e1[1] * e2[0];
    double area = 0.5 * sqrt(normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]);
    double longest2 = fmax(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2],
                           fmax(e2[0] * e2[0] + e2[1] * e2[1] + e2[2] * e2[2],
                                e3[0] * e3[0] + e3[1] * e3[1] + e3[2] * e3[2]));
    if (!isfinite(area))
        return fail(r, "triangle too large: its area overflows (an edge of %g)", sqrt(longest2));
    if (!(area > 1e-12 * longest2))
        return fail(r, "degenerate triangle (area %g for an edge of %g)", area, sqrt(longest2));
    mesh->areas[t] = area;
    mesh->diameters[t] = sqrt(longest2);
    if (mesh->diameters[t] > mesh->diameter_max)
        mesh->diameter_max = mesh->diameters[t];
    return 0;
}

/* Coordinates of every triangle, centroids, areas; errors for missing
 * nodes and degenerate triangles. */
static int build_mesh(struct reader *r, struct growing *nodes, struct growing *triangles, bem_mesh_t *mesh)
{
    if (sort_nodes(r, nodes))
        return -1;
    size_t n = triangles->count;
    if (n == 0) {
        r->line_number = r->elements_line;
        return fail(r, "no triangles (element type 2) in $Elements");
    }
    if (n > 0x7fffffff)
        return fail(r, "too many triangles");
    mesh->ntriangles = (int)n;
    mesh->vertices = malloc(n * 9 * sizeof(double));
    mesh->centroids = malloc(n * 3 * sizeof(double));
    mesh->areas = malloc(n * sizeof(double));
    mesh->diameters = malloc(n * sizeof(double));
    if (!mesh->vertices || !mesh->centroids || !mesh->areas || !mesh->diameters)
        return fail(r, "out of memory");
    const struct triangle *tris = triangles->items;
    for (size_t t = 0; t < n; t++) {
        r->line_number = tris[t].line;
        if (triangle_vertices(r, nodes, &tris[t], mesh->vertices + 9 * t) || triangle_measures(r, mesh, t))
            return -1;
    }
    return 0;
}

/* What the sections of a file gave so far. */
struct sections {
    int version; /* 2 or 4; 0 before $MeshFormat */
    int have_nodes, have_elements;
    struct growing nodes, triangles;
    int *ignored_elements;
};

/* $MeshFormat: an ASCII file of version 2.x or 4.1. */
static int read_format(struct reader *r, struct sections *s)
{
    double number;
    long binary = 0, size = 0;
    if (expect_line(r, "the format line"))
        return -1;
    if (sscanf(r->line, "%lf %ld %ld", &number, &binary, &size) != 3)
        return fail(r, "malformed $MeshFormat line \"%s\"", r->line);
    if (binary != 0)
        return fail(r, "binary MSH files are not supported: save as ASCII (gmsh -format msh22 or msh41)");
    if (number == 2.2 || (number >= 2.0 && number < 3.0))
        s->version = 2;
    else if (number == 4.1)
        s->version = 4;
    else
        return fail(r, "MSH version %g is not supported (2.2 and 4.1 are)", number);
    return skip_section(r, "$MeshFormat");
}

static int read_nodes(struct reader *r, struct sections *s)
{
    if (!s->version)
        return fail(r, "$Nodes before $MeshFormat");
    if ((s->version == 2 ? read_v2_nodes(r, &s->nodes) : read_v4_nodes(r, &s->nodes)) != 0)
        return -1;
    s->have_nodes = 1;
    return 0;
}

static int read_elements(struct reader *r, struct sections *s)
{
    if (!s->version)
        return fail(r, "$Elements before $MeshFormat");
    r->elements_line = r->line_number;
    if ((s->version == 2 ? read_v2_elements(r, &s->triangles, s->ignored_elements)
                         : read_v4_elements(r, &s->triangles, s->ignored_elements)) != 0)
        return -1;
    s->have_elements = 1;
    return 0;
}

/* The section the current line opens, read to its end; blank lines
 * between sections pass, sections of no use are skipped. */
static int read_section(struct reader *r, struct sections *s)
{
    if (r->line[0] == 0)
        return 0;
    if (strcmp(r->line, "$MeshFormat") == 0)
        return read_format(r, s);
    if (strcmp(r->line, "$Nodes") == 0)
        return read_nodes(r, s);
    if (strcmp(r->line, "$Elements") == 0)
        return read_elements(r, s);
    if (r->line[0] != '$')
        return fail(r, "unexpected line outside any section: \"%.60s\"", r->line);
    char name[256];
    snprintf(name, sizeof name, "%.200s", r->line);
    return skip_section(r, name);
}

static int read_sections(struct reader *r, struct sections *s)
{
    while (next_line(r))
        if (read_section(r, s) != 0)
            return -1;
    if (!s->version || !s->have_nodes || !s->have_elements)
        return fail(r, "not a complete MSH file: %s missing",
                    !s->version ? "$MeshFormat" : !s->have_nodes ? "$Nodes" : "$Elements");
    return 0;
}

int bem_mesh_read(const char *path, bem_mesh_t *mesh, char *error, size_t error_size)
{
    memset(mesh, 0, sizeof *mesh);
    struct reader r = {.path = path, .error = error, .error_size = error_size};
    if (!(r.file = fopen(path, "r"))) {
        snprintf(error, error_size, "%s: cannot open the mesh file", path);
        return -1;
    }
    struct sections s = {.nodes = {.size = sizeof(struct node)},
                         .triangles = {.size = sizeof(struct triangle)},
                         .ignored_elements = &mesh->ignored_elements};
    int status = read_sections(&r, &s) == 0 ? build_mesh(&r, &s.nodes, &s.triangles, mesh) : -1;
    fclose(r.file);
    free(s.nodes.items);
    free(s.triangles.items);
    if (status != 0)
        bem_mesh_free(mesh);
    return status;
}

void bem_mesh_free(bem_mesh_t *mesh)
{
    free(mesh->vertices);
    free(mesh->centroids);
    free(mesh->areas);
    free(mesh->diameters);
    memset(mesh, 0, sizeof *mesh);
}
