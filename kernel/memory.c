/* Top-down page pool. */
#include "kernel/memory.h"

#define ONE_MIB (1ull << 20)

bool mem_is_usable(const struct mem_map_entry *map, unsigned n, uint64_t start, uint64_t end)
{
    /* usable when every byte lies in a type-1 entry and in no other entry's range */
    for (unsigned i = 0; i < n; i++)
        if (map[i].type != 1 && map[i].base < end && start < map[i].base + map[i].length)
            return false;
    uint64_t at = start;
    bool progress = true;
    while (at < end && progress) {
        progress = false;
        for (unsigned i = 0; i < n; i++)
            if (map[i].type == 1 && map[i].base <= at && at < map[i].base + map[i].length) {
                at = map[i].base + map[i].length;
                progress = true;
            }
    }
    return at >= end;
}

static bool overlaps(struct mem_range r, uint64_t a, uint64_t b) { return r.start < b && a < r.end; }

bool pool_init(struct page_pool *p, const struct mem_map_entry *map, unsigned n, uint64_t image_start,
               uint64_t image_end, const char **why)
{
    *p = (struct page_pool){0};
    image_start &= ~(PAGE_SIZE - 1);
    image_end = (image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (!mem_is_usable(map, n, image_start, image_end)) {
        *why = "the image is not in usable RAM";
        return false;
    }
    /* the end of the usable run that holds the image */
    uint64_t top = image_end;
    while (top - image_end < (64ull << 20) && mem_is_usable(map, n, top, top + PAGE_SIZE))
        top += PAGE_SIZE;
    if (image_start < ONE_MIB + MEM_POOL_BELOW) {
        *why = "the image sits too low: the pool would reach into the first MiB";
        return false;
    }
    uint64_t bottom = image_start - MEM_POOL_BELOW;
    while (bottom < image_start && !mem_is_usable(map, n, bottom, image_start))
        bottom += PAGE_SIZE;
    p->pool = (struct mem_range){bottom, top};
    p->cursor = top;
    p->reserved[p->nreserved++] = (struct mem_range){image_start, image_end};
    return true;
}

void pool_reserve(struct page_pool *p, uint64_t start, uint64_t end)
{
    if (p->nreserved < sizeof(p->reserved) / sizeof(p->reserved[0]) && end > start)
        p->reserved[p->nreserved++] = (struct mem_range){start & ~(PAGE_SIZE - 1), (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)};
}

uint64_t pool_alloc_pages(struct page_pool *p, unsigned count)
{
    uint64_t size = (uint64_t)count * PAGE_SIZE;
    if (!count)
        return 0;
    while (p->cursor >= p->pool.start + size) {
        uint64_t a = p->cursor - size;
        bool clash = false;
        for (unsigned i = 0; i < p->nreserved; i++)
            if (overlaps(p->reserved[i], a, a + size)) {
                p->cursor = p->reserved[i].start; /* skip below the reserved range */
                clash = true;
                break;
            }
        if (clash)
            continue;
        p->cursor = a;
        p->pages_used += count;
        return a;
    }
    return 0;
}

uint64_t pool_alloc_page(struct page_pool *p) { return pool_alloc_pages(p, 1); }
