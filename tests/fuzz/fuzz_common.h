/* Shared pieces of the libFuzzer targets in tests/fuzz (docs/testing.md, "Fuzzing").
 *
 * A target is one LLVMFuzzerTestOneInput() that feeds the fuzzer's bytes to one parser and
 * then checks properties the parser promises in its header; FUZZ_CHECK() reports a broken
 * property and aborts, which libFuzzer records as a crash (the input is saved). */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz property failed at %s:%d: %s\n  ", __FILE__, __LINE__, \
                    #cond);                                                             \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* Reads fixed-size little-endian fields off the input; zeros once it runs out. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned k)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < k; i++) {
        uint8_t b = 0;
        if (in->n) {
            b = *in->p++;
            in->n--;
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}
static inline uint8_t fuzz_u8(struct fuzz_in *in) { return (uint8_t)fuzz_bytes(in, 1); }
static inline uint16_t fuzz_u16(struct fuzz_in *in) { return (uint16_t)fuzz_bytes(in, 2); }
static inline uint32_t fuzz_u32(struct fuzz_in *in) { return (uint32_t)fuzz_bytes(in, 4); }
static inline uint64_t fuzz_u64(struct fuzz_in *in) { return fuzz_bytes(in, 8); }

/* A copy of the input in its own heap block of exactly n bytes (one if n is 0), so that
 * AddressSanitizer catches a read one byte past the end whatever libFuzzer's own buffer is. */
static inline uint8_t *fuzz_dup(const uint8_t *data, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, data, n);
    return p;
}

/* The input as a C string: n bytes and a NUL, in a block of exactly n + 1 bytes. */
static inline char *fuzz_strdup(const uint8_t *data, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, data, n);
    p[n] = 0;
    return p;
}

/* A NUL-terminated string in [buf, buf+cap)? */
static inline bool fuzz_terminated(const char *buf, size_t cap)
{
    return cap && memchr(buf, 0, cap) != NULL;
}

#endif
