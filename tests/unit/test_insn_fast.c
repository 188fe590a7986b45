/*
 * test_insn_fast.c - the decoder's fast path (insn_decode_fast, vmx/insn_decode.c) against the
 * general decoder (insn_decode_full): for every input, insn_decode must give what the general
 * decoder gives (return code and every field), and wherever the fast path answers, its answer
 * must be the general decoder's. The inputs: every ModR/M byte under every opcode the fast
 * path knows and a few it must refuse, behind every run of up to two prefixes (the fast
 * path's own 66/67/segment ones and others it must leave alone: LOCK, REP, REX), runs of up
 * to five of its own prefixes, displacement and immediate bytes with and without their sign
 * bit, every truncated length, in 16-, 32- and 64-bit mode. Then the encodings the fast path
 * exists for (bench_apic's, Linux's writel/readl) must take it.
 */
#include "insn_test_common.h"
#include "insn_same.h"

static unsigned long compared, fast_taken;

/* one input, both decoders */
static void check(const uint8_t *bytes, size_t n, enum insn_mode mode)
{
    struct insn full, dec, fast;
    memset(&full, 0xAA, sizeof(full));
    memset(&dec, 0x55, sizeof(dec));
    int rf = insn_decode_full(bytes, n, mode, &full);
    int rd = insn_decode(bytes, n, mode, &dec);
    bool took = insn_decode_fast(bytes, n, mode, &fast);
    compared++;
    if (rf != rd || (rf == INSN_OK && !insn_same(&full, &dec)) || (took && (rf != INSN_OK || !insn_same(&full, &fast)))) {
        char hex[64] = "";
        for (size_t k = 0; k < n && k < 20; k++)
            snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", bytes[k]);
        fail_msg("mode %d, %zu bytes %s: full %d, insn_decode %d, fast %s", mode, n, hex, rf, rd,
                 took ? "taken" : "not taken");
    }
    fast_taken += took;
}

/* the input at every length up to all of it */
static void check_all_lengths(const uint8_t *bytes, size_t n, enum insn_mode mode)
{
    for (size_t k = 0; k <= n; k++)
        check(bytes, k, mode);
}

static const uint8_t opcodes[] = {0x89, 0x8b, 0xc7, 0x88, 0x8a, 0xc6, 0xa3, 0x87, 0x01, 0x0f};
static const uint8_t prefixes[] = {0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3, 0x40, 0x48, 0x44};
static const uint8_t own[] = {0x66, 0x67, 0x64, 0x3e};
/* after ModR/M: SIB, displacement and immediate bytes, sign bits set and clear */
static const uint8_t tails[][10] = {
    {0x25, 0x80, 0x00, 0xe0, 0xfe, 0x78, 0x56, 0x34, 0x92, 0x11},
    {0x05, 0x7f, 0x03, 0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0x22},
    {0xe4, 0xf0, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x80, 0x33},
};
static const uint8_t some_modrm[] = {0x05, 0x1d, 0x04, 0x44, 0x84, 0x45, 0x85, 0x06, 0x46, 0x86, 0x00, 0x0c, 0xc0, 0x0d};

static size_t build(uint8_t *out, const uint8_t *pre, size_t np, uint8_t opc, uint8_t modrm, const uint8_t *tail)
{
    size_t n = 0;
    for (size_t k = 0; k < np; k++)
        out[n++] = pre[k];
    out[n++] = opc;
    if (opc == 0x0f)
        out[n++] = 0xb7;
    out[n++] = modrm;
    memcpy(out + n, tail, 10);
    return n + 10;
}

static void test_every_modrm_behind_two_prefixes(void **state)
{
    (void)state;
    uint8_t buf[32], pre[2];
    compared = fast_taken = 0;
    for (int mode = INSN_MODE_16; mode <= INSN_MODE_64; mode++)
        for (size_t np = 0; np <= 2; np++)
            for (size_t a = 0; a < (np ? sizeof(prefixes) : 1); a++)
                for (size_t b = 0; b < (np == 2 ? sizeof(prefixes) : 1); b++) {
                    pre[0] = prefixes[a];
                    pre[1] = prefixes[b];
                    for (size_t o = 0; o < sizeof(opcodes); o++)
                        for (unsigned m = 0; m < 256; m++)
                            for (size_t t = 0; t < 3; t++) {
                                size_t n = build(buf, pre, np, opcodes[o], (uint8_t)m, tails[t]);
                                check(buf, n, (enum insn_mode)mode);
                            }
                }
    /* the comparison covered the fast path, not only its refusals */
    print_message("%lu inputs, %lu on the fast path\n", compared, fast_taken);
    assert_true(fast_taken > compared / 20);
}

static void test_truncated(void **state)
{
    (void)state;
    uint8_t buf[32], pre[2];
    for (int mode = INSN_MODE_16; mode <= INSN_MODE_64; mode++)
        for (size_t np = 0; np <= 2; np++)
            for (size_t a = 0; a < (np ? sizeof(prefixes) : 1); a++)
                for (size_t b = 0; b < (np == 2 ? sizeof(prefixes) : 1); b++) {
                    pre[0] = prefixes[a];
                    pre[1] = prefixes[b];
                    for (size_t o = 0; o < sizeof(opcodes); o++)
                        for (size_t m = 0; m < sizeof(some_modrm); m++)
                            for (size_t t = 0; t < 3; t++) {
                                size_t n = build(buf, pre, np, opcodes[o], some_modrm[m], tails[t]);
                                check_all_lengths(buf, n, (enum insn_mode)mode);
                            }
                }
}

/* runs of 3 to 6 of the fast path's own prefixes: it takes up to 4, the general decoder any
 * number up to the 15-byte limit */
static void test_long_prefix_runs(void **state)
{
    (void)state;
    uint8_t buf[40], pre[6];
    for (int mode = INSN_MODE_16; mode <= INSN_MODE_64; mode++)
        for (size_t np = 3; np <= 6; np++)
            for (unsigned combo = 0; combo < (1u << (2 * np)); combo++) {
                for (size_t k = 0; k < np; k++)
                    pre[k] = own[(combo >> (2 * k)) & 3];
                for (size_t m = 0; m < sizeof(some_modrm); m++) {
                    size_t n = build(buf, pre, np, 0xc7, some_modrm[m], tails[1]);
                    check_all_lengths(buf, n, (enum insn_mode)mode);
                    n = build(buf, pre, np, 0x89, some_modrm[m], tails[0]);
                    check(buf, n, (enum insn_mode)mode);
                }
            }
}

/* what the fast path is for: these must take it (and decode as the general decoder does) */
static void test_apic_forms_take_the_fast_path(void **state)
{
    (void)state;
    static const struct {
        enum insn_mode mode;
        uint8_t bytes[16];
        size_t n;
    } forms[] = {
        /* bench_apic: mov dword [fs:dword 0xFEE00080], 0 and mov [fs:dword 0xFEE00320], ebx */
        {M16, BYTES(0x64, 0x66, 0x67, 0xc7, 0x05, 0x80, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00)},
        {M16, BYTES(0x64, 0x66, 0x67, 0x89, 0x1d, 0x20, 0x03, 0xe0, 0xfe)},
        {M16, BYTES(0x64, 0x66, 0x67, 0x8b, 0x1d, 0x20, 0x03, 0xe0, 0xfe)},
        /* 16-bit: mov [es:di+0x300], eax */
        {M16, BYTES(0x66, 0x26, 0x89, 0x85, 0x00, 0x03)},
        /* 32-bit: mov [edx+0x300], eax; mov eax, [0xFEE00020] */
        {M32, BYTES(0x89, 0x82, 0x00, 0x03, 0x00, 0x00)},
        {M32, BYTES(0x8b, 0x05, 0x20, 0x00, 0xe0, 0xfe)},
        /* Linux x86-64 writel/readl on the APIC fixmap: 89 04 25 disp32, 8b 04 25 disp32 */
        {INSN_MODE_64, BYTES(0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff)},
        {INSN_MODE_64, BYTES(0x8b, 0x04, 0x25, 0x20, 0xd0, 0x5f, 0xff)},
        /* 64-bit: mov [rip+disp32], eax */
        {INSN_MODE_64, BYTES(0x89, 0x05, 0x10, 0x00, 0x00, 0x00)},
    };
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        struct insn fast, full;
        assert_true(insn_decode_fast(forms[k].bytes, forms[k].n, forms[k].mode, &fast));
        assert_int_equal(insn_decode_full(forms[k].bytes, forms[k].n, forms[k].mode, &full), INSN_OK);
        assert_true(insn_same(&fast, &full));
        assert_int_equal(fast.length, forms[k].n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_modrm_behind_two_prefixes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_long_prefix_runs),
        cmocka_unit_test(test_apic_forms_take_the_fast_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
