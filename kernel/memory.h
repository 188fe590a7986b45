/* Physical page allocator. vmxlab lives at the top of RAM: its pages come from one pool
 * around its image, highest first, so that everything vmxlab owns is one range that EPT
 * hides from the guest and the guest's E820 map reports as reserved. Pure logic over the
 * firmware memory map (unit-tested on the host); the kernel zeroes pages it hands out. */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096ull
#define MEM_MAX_RANGES 64
#define MEM_POOL_BELOW (1ull << 20) /* bytes of pool below the image */

struct mem_range {
    uint64_t start, end; /* [start, end) */
};

struct mem_map_entry {
    uint64_t base, length;
    uint32_t type; /* 1 = usable (E820 / multiboot2 numbering) */
};

struct page_pool {
    struct mem_range pool;               /* vmxlab's range: hidden from the guest */
    struct mem_range reserved[16];       /* never handed out: image, modules, info */
    unsigned nreserved;
    struct mem_range usable[MEM_MAX_RANGES];
    unsigned nusable;
    uint64_t cursor;                     /* next page comes from below this address */
    uint64_t pages_used;
};

/* Set up the pool around [image_start, image_end): from MEM_POOL_BELOW under the image to
 * the end of the usable RAM range that holds the image. Fails (with a reason) when the image
 * is not in usable RAM or the pool would reach into the first MiB. */
bool pool_init(struct page_pool *p, const struct mem_map_entry *map, unsigned n, uint64_t image_start,
               uint64_t image_end, const char **why);
/* Exclude [start, end) from allocation (modules, the multiboot2 info). */
void pool_reserve(struct page_pool *p, uint64_t start, uint64_t end);
/* One 4 KiB page (physical address), highest free first; 0 when the pool is exhausted. */
uint64_t pool_alloc_page(struct page_pool *p);
/* `count` physically contiguous pages, 0 on failure. */
uint64_t pool_alloc_pages(struct page_pool *p, unsigned count);
bool mem_is_usable(const struct mem_map_entry *map, unsigned n, uint64_t start, uint64_t end);

#endif
