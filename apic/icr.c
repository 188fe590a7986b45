/* ICR decode and classification. SDM Vol.3A 10.6.1 (Figure 10-12: the ICR), 10.6.2 (the
 * destination), Table 10-3 (valid combinations on the Pentium 4 / Xeon xAPIC and later).
 *
 * Table 10-3, as this file applies it:
 *   no shorthand      all delivery modes, edge      (level: sent as edge, note 2)
 *   self              fixed only                    (INIT, SIPI, NMI, SMI, lowest: invalid)
 *   all including self fixed only                   (INIT, SIPI, NMI, SMI, lowest: invalid)
 *   all excluding self every delivery mode, edge
 * "INIT level de-assert" (INIT, trigger level, level 0) is a P6-era message; Pentium 4 and
 * later ignore it, and so do KVM, Xen, ACRN and Bochs. Delivery modes 011b and 111b are reserved. */
#include "apic/icr.h"
#include "kernel/lib.h"

void icr_decode(uint32_t low, uint32_t high, struct icr *o)
{
    o->vector = low & ICR_VECTOR_MASK;
    o->delivery = (low >> ICR_DELIVERY_MODE_SHIFT) & 7u;
    o->logical = low & ICR_DEST_LOGICAL;
    o->pending = low & ICR_DELIVERY_PENDING;
    o->level_assert = low & ICR_LEVEL_ASSERT;
    o->trigger_level = low & ICR_TRIGGER_LEVEL;
    o->shorthand = (low >> ICR_SHORTHAND_SHIFT) & 3u;
    o->dest = (uint8_t)(high >> ICR_DEST_SHIFT);
}

const char *icr_delivery_name(unsigned d)
{
    static const char *const names[8] = {"fixed", "lowest priority", "SMI", "reserved (011b)",
                                         "NMI", "INIT", "SIPI", "reserved (111b)"};
    return names[d & 7u];
}

const char *icr_shorthand_name(unsigned s)
{
    static const char *const names[4] = {"none", "self", "all including self", "all excluding self"};
    return names[s & 3u];
}

/* SDM 10.6.2.2: flat model (DFR 31:28 = 1111b): the 8-bit destination is a bit mask ANDed with
 * the logical ID; cluster model (0000b): bits 7:4 pick the cluster, 3:0 a mask within it. */
static bool logical_match(uint8_t dest, const struct icr_vcpu_view *c)
{
    uint8_t lid = (uint8_t)(c->ldr >> 24);
    if (dest == 0xFF)
        return true;
    if ((c->dfr >> 28) == 0xF)
        return (dest & lid) != 0;
    return (dest >> 4) == (lid >> 4) && (dest & lid & 0x0F) != 0;
}

static uint32_t all_vcpus(const struct icr_env *env)
{
    unsigned n = env->nvcpus > ICR_MAX_VCPUS ? ICR_MAX_VCPUS : env->nvcpus;
    return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1;
}

static uint32_t destination(const struct icr *i, const struct icr_env *env)
{
    uint32_t all = all_vcpus(env), self = env->self < 32 ? (1u << env->self) & all : 0;
    switch (i->shorthand) {
    case ICR_SH_SELF: return self;
    case ICR_SH_ALL_INCL: return all;
    case ICR_SH_ALL_EXCL: return all & ~self;
    }
    if (!i->logical)   /* physical: one APIC ID, or FFh = broadcast (SDM 10.6.2.1) */
        return i->dest == 0xFF ? all : (i->dest < 32 ? (1u << i->dest) & all : 0);
    uint32_t t = 0;
    for (unsigned v = 0; v < env->nvcpus && v < ICR_MAX_VCPUS; v++)
        if (logical_match(i->dest, &env->vcpu[v]))
            t |= 1u << v;
    return t;
}

static enum icr_action verdict(struct icr_decision *d, enum icr_action a, const char *why)
{
    d->why = why;
    return a;
}

static enum icr_action decide(const struct icr_env *env, struct icr_decision *d)
{
    const struct icr *i = &d->icr;

    if (i->delivery == ICR_DM_RESERVED3 || i->delivery == ICR_DM_RESERVED7)
        return verdict(d, ICR_INVALID, "delivery mode 011b/111b is reserved (SDM 10.6.1)");
    if ((i->shorthand == ICR_SH_SELF || i->shorthand == ICR_SH_ALL_INCL) && i->delivery != ICR_DM_FIXED) {
        if (i->shorthand == ICR_SH_SELF)
            return verdict(d, ICR_INVALID, i->delivery == ICR_DM_INIT ? "INIT with the self shorthand is not a valid combination (SDM Table 10-3)"
                                         : i->delivery == ICR_DM_STARTUP ? "SIPI with the self shorthand is not a valid combination (SDM Table 10-3)"
                                         : "the self shorthand is valid only with fixed delivery (SDM Table 10-3)");
        return verdict(d, ICR_INVALID, i->delivery == ICR_DM_INIT ? "INIT with the all-including-self shorthand is not a valid combination (SDM Table 10-3)"
                                     : i->delivery == ICR_DM_STARTUP ? "SIPI with the all-including-self shorthand is not a valid combination (SDM Table 10-3)"
                                     : "the all-including-self shorthand is valid only with fixed delivery (SDM Table 10-3)");
    }
    if (i->delivery == ICR_DM_INIT && i->trigger_level && !i->level_assert)
        return verdict(d, ICR_IGNORED, "INIT level de-assert: a P6 message, ignored by the xAPIC (SDM 10.6.1)");
    if ((i->delivery == ICR_DM_FIXED || i->delivery == ICR_DM_LOWEST) && i->vector < 16) {
        d->esr = ESR_SEND_ILLEGAL_VECTOR;
        return verdict(d, ICR_INVALID, "vectors 0-15 are illegal: send illegal vector (SDM 10.5.2, 10.5.3)");
    }

    uint32_t t = destination(i, env);
    if (!t)
        return verdict(d, ICR_DROPPED, i->shorthand == ICR_SH_ALL_EXCL ? "no other vCPU exists"
                                       : i->logical ? "no vCPU matches the logical destination"
                                                    : "no vCPU has that APIC ID");
    switch (i->delivery) {
    case ICR_DM_INIT:
        d->targets = t;
        return verdict(d, ICR_DELIVER_INIT, 0);
    case ICR_DM_STARTUP: {
        uint32_t waiting = 0;
        for (unsigned v = 0; v < ICR_MAX_VCPUS; v++)
            if ((t >> v) & 1u && env->vcpu[v].wait_for_sipi)
                waiting |= 1u << v;
        if (!waiting)
            return verdict(d, ICR_IGNORED, "SIPI to a vCPU that is not waiting for SIPI (SDM 8.4.2)");
        d->targets = waiting;
        return verdict(d, ICR_DELIVER_SIPI, 0);
    }
    case ICR_DM_NMI:
        d->targets = t;
        return verdict(d, ICR_DELIVER_NMI, 0);
    case ICR_DM_SMI:
        return verdict(d, ICR_IGNORED, "SMI IPIs are not emulated (vmxlab gives its guest no SMM)");
    default: { /* fixed, lowest priority */
        uint32_t on = 0;
        for (unsigned v = 0; v < ICR_MAX_VCPUS; v++)
            if ((t >> v) & 1u && env->vcpu[v].apic_enabled)
                on |= 1u << v;
        if (!on)
            return verdict(d, ICR_DROPPED, "the destination APIC is software-disabled (SVR bit 8 = 0, SDM 10.4.7.2)");
        /* Lowest priority: any one target may take it (SDM 10.6.2.4); the lowest-numbered does. */
        d->targets = i->delivery == ICR_DM_LOWEST ? on & -on : on;
        return verdict(d, ICR_DELIVER_FIXED, 0);
    }
    }
}

void icr_classify(uint32_t low, uint32_t high, const struct icr_env *env, struct icr_decision *d)
{
    icr_decode(low, high, &d->icr);
    d->targets = 0;
    d->vector = d->icr.vector;
    d->esr = 0;
    d->why = 0;
    d->action = decide(env, d);
}

/* "vcpu0", "vcpu1+vcpu2" */
static void targets_text(uint32_t t, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (unsigned v = 0; v < 32 && n < len; v++)
        if ((t >> v) & 1u)
            n += (size_t)snprintf(buf + n, len - n, "%svcpu%u", n ? "+" : "", v);
}

int icr_describe(const struct icr_decision *d, uint32_t low, uint32_t high, char *buf, size_t len)
{
    char who[64];
    targets_text(d->targets, who, sizeof(who));
    int n = snprintf(buf, len, "ICR 0x%08x dest %02x -> ", low, high >> ICR_DEST_SHIFT);
    char *p = buf + (n < (int)len ? n : (int)len);
    size_t left = n < (int)len ? len - n : 0;
    switch (d->action) {
    case ICR_DELIVER_INIT:
        return n + snprintf(p, left, "INIT to %s", who);
    case ICR_DELIVER_SIPI:
        return n + snprintf(p, left, "SIPI vector 0x%02x to %s (start at %02x00:0000)", d->vector, who, d->vector);
    case ICR_DELIVER_FIXED:
        return n + snprintf(p, left, "%s vector 0x%02x to %s", d->icr.delivery == ICR_DM_LOWEST ? "lowest-priority" : "fixed",
                            d->vector, who);
    case ICR_DELIVER_NMI:
        return n + snprintf(p, left, "NMI to %s", who);
    case ICR_IGNORED:
        return n + snprintf(p, left, "ignored: %s", d->why);
    case ICR_INVALID:
        return n + snprintf(p, left, "refused: %s", d->why);
    case ICR_DROPPED:
        return n + snprintf(p, left, "dropped: %s", d->why);
    }
    return n;
}
