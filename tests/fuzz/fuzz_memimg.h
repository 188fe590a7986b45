/* A fuzz input as physical memory for the table walkers (kernel/acpi.c, kernel/mptable.c):
 * the bytes stand for [IMG_BASE, IMG_BASE + n), and every map() call returns a fresh heap
 * copy of exactly the bytes asked for, so AddressSanitizer catches a walker reading past the
 * length it mapped, not only past the whole image. With `fix` set, a mapped table whose
 * length field equals the length asked for gets its checksum byte repaired first, so the
 * fuzzer gets past the checksums to the fields behind them. */
#ifndef TESTS_FUZZ_MEMIMG_H
#define TESTS_FUZZ_MEMIMG_H

#include "tests/fuzz/fuzz_common.h"

#define IMG_BASE 0xE0000u

struct memimg {
    const uint8_t *bytes;
    size_t n;
    bool fix;
    unsigned len_off, len_size, sum_off; /* the table header's length field and checksum byte */
    size_t maps, cap;
    void **copies;
};

static inline const void *memimg_map(uint64_t phys, uint64_t len, void *ctx)
{
    struct memimg *m = ctx;
    if (phys < IMG_BASE || phys - IMG_BASE > m->n || len > m->n - (phys - IMG_BASE) || len == 0)
        return NULL;
    uint8_t *c = malloc((size_t)len);
    FUZZ_CHECK(c, "malloc");
    memcpy(c, m->bytes + (phys - IMG_BASE), (size_t)len);
    if (m->fix && len > m->sum_off && len >= m->len_off + m->len_size) {
        uint64_t l = 0;
        for (unsigned i = 0; i < m->len_size; i++)
            l |= (uint64_t)c[m->len_off + i] << (8 * i);
        if (l == len) {
            uint8_t s = 0;
            c[m->sum_off] = 0;
            for (uint64_t i = 0; i < len; i++)
                s = (uint8_t)(s + c[i]);
            c[m->sum_off] = (uint8_t)-s;
        }
    }
    if (m->maps == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->copies = realloc(m->copies, m->cap * sizeof(void *));
        FUZZ_CHECK(m->copies, "realloc");
    }
    m->copies[m->maps++] = c;
    return c;
}

static inline void memimg_free(struct memimg *m)
{
    for (size_t i = 0; i < m->maps; i++)
        free(m->copies[i]);
    free(m->copies);
    m->copies = NULL;
    m->maps = m->cap = 0;
}

static inline void fix_sum(uint8_t *p, size_t len, size_t at)
{
    uint8_t s = 0;
    p[at] = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    p[at] = (uint8_t)-s;
}

#endif
