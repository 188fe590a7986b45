/* Fuzz target: ICR classification (apic/icr.c): what a guest's write to the xAPIC ICR means.
 *
 * Input: ICR low (4 bytes), ICR high (4), the sender (1), the vCPU count (1, any value:
 * the classifier must clamp it), then per vCPU: LDR (4), DFR (4), flags (1: bit 0 waiting
 * for SIPI, bit 1 APIC software-enabled); zeros where it runs out.
 *
 * Properties (apic/icr.h, SDM Vol.3A 10.6.1 and Table 10-3):
 *   - icr_decode gives each field its bits of Figure 10-12;
 *   - a delivery has targets, only existing vCPUs; every other verdict has none and a reason;
 *   - reserved delivery modes, and self / all-including-self with anything but fixed, are refused;
 *   - SIPI only to vCPUs waiting for it, fixed only to software-enabled APICs, lowest
 *     priority to exactly one; vectors 0-15 never delivered as fixed;
 *   - icr_describe behaves like snprintf (NUL-terminated, same length in any buffer). */
#include "tests/fuzz/fuzz_common.h"
#include "apic/icr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint32_t low = fuzz_u32(&in), high = fuzz_u32(&in);
    struct icr_env env = {0};
    env.self = fuzz_u8(&in);
    env.nvcpus = fuzz_u8(&in);
    for (unsigned v = 0; v < ICR_MAX_VCPUS; v++) {
        env.vcpu[v].ldr = fuzz_u32(&in);
        env.vcpu[v].dfr = fuzz_u32(&in);
        uint8_t f = fuzz_u8(&in);
        env.vcpu[v].wait_for_sipi = f & 1;
        env.vcpu[v].apic_enabled = f & 2;
    }

    struct icr_decision d;
    memset(&d, 0xA5, sizeof(d));
    icr_classify(low, high, &env, &d);
    const struct icr *i = &d.icr;
    FUZZ_CHECK(i->vector == (low & 0xFF) && i->delivery == ((low >> 8) & 7) && i->logical == ((low >> 11) & 1) &&
                   i->pending == ((low >> 12) & 1) && i->level_assert == ((low >> 14) & 1) &&
                   i->trigger_level == ((low >> 15) & 1) && i->shorthand == ((low >> 18) & 3) && i->dest == high >> 24,
               "decode of 0x%08x/0x%08x", low, high);
    unsigned n = env.nvcpus < ICR_MAX_VCPUS ? env.nvcpus : ICR_MAX_VCPUS;
    uint32_t exist = (1u << n) - 1;
    bool deliver = d.action == ICR_DELIVER_INIT || d.action == ICR_DELIVER_SIPI || d.action == ICR_DELIVER_FIXED ||
                   d.action == ICR_DELIVER_NMI;
    FUZZ_CHECK(deliver || d.action == ICR_IGNORED || d.action == ICR_INVALID || d.action == ICR_DROPPED,
               "action %d", d.action);
    if (deliver)
        FUZZ_CHECK(d.targets && !(d.targets & ~exist) && !d.why && !d.esr,
                   "delivery to 0x%x of 0x%x vCPUs (why %s)", d.targets, exist, d.why ? d.why : "-");
    else
        FUZZ_CHECK(!d.targets && d.why && d.why[0], "verdict %d with targets 0x%x", d.action, d.targets);
    FUZZ_CHECK(d.vector == i->vector, "vector");
    if (i->delivery == ICR_DM_RESERVED3 || i->delivery == ICR_DM_RESERVED7)
        FUZZ_CHECK(d.action == ICR_INVALID, "reserved delivery mode accepted");
    if ((i->shorthand == ICR_SH_SELF || i->shorthand == ICR_SH_ALL_INCL) && i->delivery != ICR_DM_FIXED)
        FUZZ_CHECK(d.action == ICR_INVALID, "Table 10-3: shorthand %u with delivery %u accepted", i->shorthand,
                   i->delivery);
    if (d.action == ICR_DELIVER_SIPI) {
        FUZZ_CHECK(i->delivery == ICR_DM_STARTUP, "SIPI for delivery %u", i->delivery);
        for (unsigned v = 0; v < n; v++)
            if (d.targets >> v & 1)
                FUZZ_CHECK(env.vcpu[v].wait_for_sipi, "SIPI to vcpu%u, which is not waiting for SIPI", v);
    }
    if (d.action == ICR_DELIVER_FIXED) {
        FUZZ_CHECK(i->vector >= 16, "fixed vector %u delivered", i->vector);
        for (unsigned v = 0; v < n; v++)
            if (d.targets >> v & 1)
                FUZZ_CHECK(env.vcpu[v].apic_enabled, "fixed interrupt to the disabled APIC of vcpu%u", v);
        if (i->delivery == ICR_DM_LOWEST)
            FUZZ_CHECK((d.targets & (d.targets - 1)) == 0, "lowest priority to 0x%x", d.targets);
    }
    if (d.action == ICR_DELIVER_INIT)
        FUZZ_CHECK(i->delivery == ICR_DM_INIT, "INIT for delivery %u", i->delivery);
    if (d.action == ICR_DELIVER_NMI)
        FUZZ_CHECK(i->delivery == ICR_DM_NMI, "NMI for delivery %u", i->delivery);
    if (i->shorthand == ICR_SH_ALL_EXCL && deliver)
        FUZZ_CHECK(env.self >= 32 || !(d.targets >> env.self & 1), "all-excluding-self reached the sender");

    char full[256];
    int len = icr_describe(&d, low, high, full, sizeof(full));
    FUZZ_CHECK(len > 0 && (size_t)len < sizeof(full) && strlen(full) == (size_t)len, "describe returned %d", len);
    size_t cap = 1 + (size_t)(low % (unsigned)len);
    char *small = malloc(cap);
    FUZZ_CHECK(small, "malloc");
    int m = icr_describe(&d, low, high, small, cap);
    FUZZ_CHECK(m == len && fuzz_terminated(small, cap) && strlen(small) == cap - 1 && !strncmp(small, full, cap - 1),
               "describe into %zu bytes returned %d: \"%.*s\"", cap, m, (int)cap, small);
    free(small);
    return 0;
}
