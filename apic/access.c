/* The two ways a guest's APIC access reaches vmxlab.
 *
 * APIC-access exit (reason 44, SDM Vol.3C 29.4): fault-like. RIP still points at the
 * instruction; the qualification gives the page offset (bits 11:0) and the access type (15:12,
 * Table 27-6), not the value. vmxlab fetches the instruction at CS:RIP through the guest's
 * page tables when it has paging on (vmx/guest_mem.h; guest-physical memory below 4 GiB is
 * identity-mapped for the host), decodes it with vmx/insn_decode.h (16-, 32- or 64-bit code;
 * the last decoding is kept per vCPU and reused while the same bytes come back),
 * translates the operand's linear address the same way, does its one memory access against
 * the virtual APIC, and moves RIP on. Where the guest's own CPU would fault (a page not
 * present for the fetch, the operand's page not writable for a store, ...) vmxlab raises that
 * fault in the guest instead (#PF with CR2, SDM 4.7).
 *
 * APIC-write exit (reason 56, SDM 29.4.3.3): trap-like. The CPU has stored the value in the
 * virtual-APIC page and RIP is already past the instruction; vmxlab applies the register's
 * semantics to what it finds there. */
#include "apic/apic_internal.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/guest_mem.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_defs.h"

/* Exit qualification of an APIC-access exit (SDM 27.2.1, Table 27-6) */
#define ACCESS_OFFSET(q) ((uint32_t)(q) & 0xFFFu)
#define ACCESS_TYPE(q) (((uint32_t)(q) >> 12) & 0xFu)
enum { ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_FETCH = 2, ACCESS_EVENT = 3, ACCESS_PHYS_EVENT = 10,
       ACCESS_PHYS_FETCH = 15 };

static const char *access_type_name(unsigned t)
{
    switch (t) {
    case ACCESS_READ: return "a read by an instruction";
    case ACCESS_WRITE: return "a write by an instruction";
    case ACCESS_FETCH: return "an instruction fetch";
    case ACCESS_EVENT: return "an access during event delivery";
    case ACCESS_PHYS_EVENT: return "a guest-physical access during event delivery";
    case ACCESS_PHYS_FETCH: return "a guest-physical instruction fetch";
    }
    return "an access of a reserved type";
}

static enum exit_action refuse(struct vcpu *v, const char *what)
{
    log_error("apic", "vcpu%u: exit 44 at %04llx:%04llx: %s; stopping the guest", v->id,
              (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, what);
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

/* The fault the guest's CPU would have raised instead of this access (the walk failed):
 * raise it and let the guest handle it; RIP stays on the instruction. */
static enum exit_action raise_or_refuse(struct vcpu *v, const struct guest_fault *f, const char *what)
{
    char text[128];
    if (!guest_raise_fault(v, f, text, sizeof(text))) {
        char why[192];
        snprintf(why, sizeof(why), "%s: %s", what, text);
        return refuse(v, why);
    }
    log_info("apic", "vcpu%u: exit 44 at %04llx:%04llx: %s: %s", v->id,
             (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, what, text);
    return EXIT_RESUME;
}

static inline bool loud(struct vcpu *v, uint32_t offset)
{
    return offset == APIC_ICR_LOW && apic_ipi_loud(v, vlapic_reg(&apic_of(v)->vl, APIC_ICR_LOW));
}

/* The cold ends of apic_exit_access, out of line so that the common path carries none of
 * their buffers or calls. */
static __attribute__((noinline, cold)) enum exit_action refuse_type(struct vcpu *v, unsigned type, uint32_t off)
{
    char what[160];
    snprintf(what, sizeof(what), "%s at APIC offset 0x%03x: vmxlab emulates only instruction reads and writes",
             access_type_name(type), off);
    return refuse(v, what);
}

static __attribute__((noinline, cold)) enum exit_action refuse_insn(struct vcpu *v, const uint8_t *bytes, int rc)
{
    char what[160];
    snprintf(what, sizeof(what), "cannot emulate the instruction %02x %02x %02x %02x %02x %02x: %s", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], insn_strerror(rc));
    return refuse(v, what);
}

static __attribute__((noinline, cold)) enum exit_action refuse_operand(struct vcpu *v, const struct insn *in,
                                                                        uint32_t off, uint64_t linear, uint64_t pa,
                                                                        bool translated)
{
    char what[160];
    if (in->size > 4)
        snprintf(what, sizeof(what), "a %u-byte access at APIC offset 0x%03x: APIC registers are 32 bits wide",
                 in->size, off);
    else if (!translated)
        snprintf(what, sizeof(what), "the decoded operand is at 0x%llx, the CPU reported APIC offset 0x%03x",
                 (unsigned long long)linear, off);
    else
        snprintf(what, sizeof(what), "the decoded operand at 0x%llx translates to 0x%llx, not the APIC page",
                 (unsigned long long)linear, (unsigned long long)pa);
    return refuse(v, what);
}

/* The exit's log line: at log=debug, or at info for the ICR writes apic/ipi.c calls loud. */
static __attribute__((noinline, cold)) void log_access(struct vcpu *v, const struct insn *in, uint32_t off,
                                                       bool writes, uint64_t value, uint32_t old)
{
    char text[64];
    insn_format(in, text, sizeof(text));
    klog(loud(v, off) ? LOG_INFO : LOG_DEBUG, "apic",
         "exit 44 (APIC access, fault-like) at %04llx:%04llx: %s -> %s %s 0x%08x, emulated",
         (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, text,
         vlapic_reg_name(off) ? vlapic_reg_name(off) : "(no register)", writes ? "<-" : "->",
         writes ? (uint32_t)value : old);
}

/* A MOV (the decoder's fast path, and most of what guests do to the APIC) has no flags, no
 * string step and touches RSP only when it names it; the other instructions take the general
 * sequence of insn_decode.h. */
static bool plain_mov(const struct insn *in)
{
    return in->op == INSN_OP_MOV_STORE || in->op == INSN_OP_MOV_LOAD;
}

static bool names_rsp(const struct insn *in)
{
    return in->base_reg == INSN_RSP || in->index_reg == INSN_RSP || in->reg == INSN_RSP;
}

EXIT_PATH_FN enum exit_action apic_exit_access(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t off = ACCESS_OFFSET(v->exit_qualification);
    unsigned type = ACCESS_TYPE(v->exit_qualification);
    if (type != ACCESS_READ && type != ACCESS_WRITE)
        return refuse_type(v, type, off);
    /* fetch CS:RIP through the guest's paging, as its CPU did */
    enum insn_mode mode = guest_code_mode();
    union {
        uint8_t b[16];
        uint64_t q[2];
    } bytes = {.q = {0, 0}};
    struct guest_fault f;
    int got = guest_fetch_instruction(v, mode, bytes.b, &f);
    if (got < 0)
        return raise_or_refuse(v, &f, "fetching the instruction");
    /* a guest touches its APIC from a few instructions, again and again (the TPR update of
     * a spinlock, a handler's EOI, a timer re-arm): when the bytes at CS:RIP and the mode are
     * those of the last instruction decoded here, that decoding is reused. The bytes decide,
     * not the address, so code the guest rewrote is decoded afresh. */
    struct insn *cached = &a->last_insn.in;
    if (!(a->last_insn.valid && a->last_insn.mode == mode && a->last_insn.bytes[0] == bytes.q[0] &&
          a->last_insn.bytes[1] == bytes.q[1] && got == INSN_MAX_LENGTH)) {
        a->last_insn.valid = false;
        int rc = insn_decode(bytes.b, (size_t)got, mode, cached);
        if (rc == INSN_ERR_TRUNCATED && got < INSN_MAX_LENGTH)
            return raise_or_refuse(v, &f, "fetching the instruction's second page");
        if (rc != INSN_OK)
            return refuse_insn(v, bytes.b, rc);
        a->last_insn.valid = got == INSN_MAX_LENGTH;
        a->last_insn.mode = (uint8_t)mode;
        a->last_insn.bytes[0] = bytes.q[0];
        a->last_insn.bytes[1] = bytes.q[1];
    }
    /* one pointer for the rest: without the barrier GCC recomputes &apic.vcpu[v->id] (three
     * instructions) before each use of the decoding, nine times on a TPR write */
    const struct insn *in = cached;
    __asm__("" : "+r"(in));
    if (in->size > 4)
        return refuse_operand(v, in, off, 0, 0, false);

    /* the decoder and the CPU must agree on the operand: the offset the CPU reported, and (with
     * paging) a linear address that translates to the APIC-access page, with the rights the
     * access needs; otherwise vmxlab would emulate the wrong register */
    bool plain = plain_mov(in);
    if (!plain || names_rsp(in))
        vcpu_read_rsp(v);
    uint64_t rsp = v->gpr[GPR_RSP];
    uint64_t linear = insn_operand_offset(in, v->gpr, v->rip);
    if (insn_segment_counts(in))
        linear += guest_segment_base(in->seg);
    if (mode != INSN_MODE_64)
        linear &= 0xFFFFFFFFull;
    if ((linear & 0xFFF) != off)
        return refuse_operand(v, in, off, linear, 0, false);
    uint64_t pa;
    if (!guest_translate(linear, in->mem_write ? GW_WRITE : 0, &pa, &f))
        return raise_or_refuse(v, &f, "translating the operand's address");
    if ((pa & ~0xFFFull) != APIC_GUEST_BASE)
        return refuse_operand(v, in, off, linear, pa, true);

    /* the one access, in the order insn_decode.h prescribes */
    uint32_t old = in->mem_read ? vlapic_read(&a->vl, off, in->size) : 0;
    uint64_t value = 0;
    bool writes;
    if (in->op == INSN_OP_MOV_STORE && (in->has_imm || in->reg_size >= 2)) {
        /* MOV's store inline: the immediate (already of the access size) or a 16- or 32-bit
         * register (in->size bytes of it), what insn_store_value gives */
        value = in->has_imm ? in->imm : v->gpr[in->reg] & (in->size == 4 ? 0xFFFFFFFFull : 0xFFFFull);
        writes = true;
    } else {
        writes = insn_store_value(in, v->gpr, old, &value);
    }
    enum vlapic_effect e = writes ? vlapic_write(&a->vl, off, in->size, (uint32_t)value) : VLAPIC_WROTE;
    bool next = true;
    if (plain) {
        if (in->mem_read)
            insn_apply_load(in, v->gpr, old);
    } else {
        uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
        uint64_t nflags = insn_update_rflags(in, v->gpr, old, rflags);
        insn_apply_load(in, v->gpr, old);
        next = insn_string_advance(in, v->gpr, nflags);
        if (nflags != rflags)
            vmcs_write(VMCS_GUEST_RFLAGS, nflags);
    }
    if (v->gpr[GPR_RSP] != rsp || !plain)
        vmcs_write(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);

    if (__builtin_expect(log_enabled(LOG_DEBUG), 0) || (loud(v, off) && log_enabled(LOG_INFO)))
        log_access(v, in, off, writes, value, old);   /* formatted only when printed */
    if (next)
        vcpu_skip_bytes(v, in->length); /* the length of what was emulated, from the decoder */
    return writes ? apic_write_effect(v, off, e) : EXIT_RESUME;
}

static __attribute__((noinline, cold)) void log_write(struct vcpu *v, uint32_t off)
{
    klog(loud(v, off) ? LOG_INFO : LOG_DEBUG, "apic",
         "exit 56 (APIC write, trap-like) at %04llx:%04llx: %s <- 0x%08x, found in the virtual-APIC page at +0x%03x",
         (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
         vlapic_reg_name(off) ? vlapic_reg_name(off) : "(no register)", vlapic_reg(&apic_of(v)->vl, off), off);
}

EXIT_PATH_FN enum exit_action apic_exit_write(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t off = ACCESS_OFFSET(v->exit_qualification);
    if (__builtin_expect(log_enabled(LOG_DEBUG), 0) || (loud(v, off) && log_enabled(LOG_INFO)))
        log_write(v, off);   /* formatted only when printed: nothing at log=warn */
    enum vlapic_effect e = vlapic_write_done(&a->vl, off);
    if (e == VLAPIC_SEND_IPI)
        return apic_send_ipi(v);   /* the INIT path goes straight on: apic/ipi.c */
    return apic_write_effect(v, off, e);
}
