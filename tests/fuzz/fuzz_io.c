/* Fuzz target: the I/O exit decoder (vmx/io_decode.c): an exit qualification and the value
 * a guest writes, against the ports that can be machine events.
 *
 * Input: qualification (8 bytes), value (4), then the watch: PM1a_CNT (2), PM1b_CNT (2),
 * SLP_TYPa (1), SLP_TYPb (1), RESET_REG port (2), RESET_VALUE (1); zeros where it runs out.
 *
 * Properties (vmx/io_decode.h, SDM Vol.3C Table 27-5):
 *   - the qualification decodes iff bits 2:0 are 0, 1 or 3, and each field is its bits;
 *   - the text is NUL-terminated in any buffer size, a prefix of the full text;
 *   - a machine event is only ever reported for a write that touches a port
 *     io_watch_ports() lists (else vmxlab would never see it: those are the intercepted ports);
 *   - io_watch_ports: at most 8, no zero, no duplicate, always 0x64, 0x92 and 0xCF9. */
#include "tests/fuzz/fuzz_common.h"
#include "vmx/io_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint64_t qual = fuzz_u64(&in);
    uint32_t value = fuzz_u32(&in);
    struct io_watch w = {0};
    w.pm1a_cnt = fuzz_u16(&in);
    w.pm1b_cnt = fuzz_u16(&in);
    w.slp_typa = fuzz_u8(&in);
    w.slp_typb = fuzz_u8(&in);
    w.reset_port = fuzz_u16(&in);
    w.reset_value = fuzz_u8(&in);

    uint16_t ports[8];
    size_t np = io_watch_ports(&w, ports);
    FUZZ_CHECK(np <= 8, "%zu ports", np);
    bool kbd = false, sysa = false, cf9 = false;
    for (size_t i = 0; i < np; i++) {
        FUZZ_CHECK(ports[i] != 0, "port 0 listed");
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(ports[i] != ports[j], "port 0x%x twice", ports[i]);
        kbd |= ports[i] == 0x64, sysa |= ports[i] == 0x92, cf9 |= ports[i] == 0xCF9;
    }
    FUZZ_CHECK(kbd && sysa && cf9, "a fixed reset port is missing");

    struct io_access a;
    memset(&a, 0xA5, sizeof(a));
    bool ok = io_qual_decode(qual, &a);
    unsigned enc = qual & 7;
    FUZZ_CHECK(ok == (enc == 0 || enc == 1 || enc == 3), "size encoding %u decoded %d", enc, ok);
    if (!ok)
        return 0;
    FUZZ_CHECK(a.size == enc + 1 && a.in == ((qual >> 3) & 1) && a.string == ((qual >> 4) & 1) &&
                   a.rep == ((qual >> 5) & 1) && a.immediate == ((qual >> 6) & 1) && a.port == (uint16_t)(qual >> 16),
               "fields differ from the qualification 0x%llx", (unsigned long long)qual);

    char full[96];
    io_access_format(&a, full, sizeof(full));
    size_t n = strnlen(full, sizeof(full));
    FUZZ_CHECK(n > 0 && n < sizeof(full), "text length %zu", n);
    size_t cap = 1 + (size_t)(value % (n + 1));
    char *small = malloc(cap);
    FUZZ_CHECK(small, "malloc");
    io_access_format(&a, small, cap);
    FUZZ_CHECK(fuzz_terminated(small, cap) && !strncmp(small, full, strlen(small)) && strlen(small) == (n < cap ? n : cap - 1),
               "text in %zu bytes: \"%.*s\"", cap, (int)cap, small);
    free(small);

    uint8_t typ = 0xEE;
    enum io_event e = io_event_of_write(&a, value, &w, &typ);
    FUZZ_CHECK(e >= IO_EVENT_NONE && e <= IO_EVENT_SLEEP && io_event_name(e), "event %d", e);
    if (a.in)
        FUZZ_CHECK(e == IO_EVENT_NONE, "a read is a machine event");
    if (e != IO_EVENT_NONE) {
        bool watched = false;
        for (size_t i = 0; i < np; i++)
            for (unsigned b = 0; b < a.size; b++)
                watched |= (uint32_t)a.port + b == ports[i];
        FUZZ_CHECK(watched, "%s reported for a write to 0x%x (size %u) that vmxlab does not intercept",
                   io_event_name(e), a.port, a.size);
    }
    if (e == IO_EVENT_POWER_OFF || e == IO_EVENT_SLEEP)
        FUZZ_CHECK(typ <= 7, "SLP_TYP %u", typ);
    else
        FUZZ_CHECK(typ == 0xEE, "slp_typ written for event %d", e);
    return 0;
}
