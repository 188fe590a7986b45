/* The two ways a guest's APIC access reaches vmxlab.
 *
 * APIC-access exit (reason 44, SDM Vol.3C 29.4): fault-like. RIP still points at the
 * instruction; the qualification gives the page offset (bits 11:0) and the access type (15:12,
 * Table 27-6), not the value. vmxlab fetches the instruction at CS:RIP (guest memory below
 * 4 GiB is identity-mapped for the host, and the guest runs without paging), decodes it with
 * apic/insn_decode.h, does its one memory access against the virtual APIC, and moves RIP on.
 *
 * APIC-write exit (reason 56, SDM 29.4.3.3): trap-like. The CPU has stored the value in the
 * virtual-APIC page and RIP is already past the instruction; vmxlab applies the register's
 * semantics to what it finds there. */
#include "apic/apic_internal.h"
#include "apic/insn_decode.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
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

/* ES CS SS DS FS GS: the order of enum insn_seg and of the VMCS base fields (Appendix B) */
static uint64_t seg_base(unsigned seg) { return vmcs_read(VMCS_GUEST_ES_BASE + 2 * seg); }

static bool loud(struct vcpu *v, uint32_t offset)
{
    return offset == APIC_ICR_LOW && apic_log_this_init(v->init_count + 1);
}

enum exit_action apic_exit_access(struct vcpu *v)
{
    uint32_t off = ACCESS_OFFSET(v->exit_qualification);
    unsigned type = ACCESS_TYPE(v->exit_qualification);
    char what[160];
    if (type != ACCESS_READ && type != ACCESS_WRITE) {
        snprintf(what, sizeof(what), "%s at APIC offset 0x%03x: vmxlab emulates only instruction reads and writes",
                 access_type_name(type), off);
        return refuse(v, what);
    }
    if (vmcs_read(VMCS_GUEST_CR0) & CR0_PG)
        return refuse(v, "the guest has paging on, and vmxlab does not walk guest page tables");

    /* fetch: CS base + RIP is the physical address of the instruction (no paging, EPT identity) */
    uint64_t at = (vmcs_read(VMCS_GUEST_CS_BASE) + v->rip) & 0xFFFFFFFFull;
    if (at + INSN_MAX_LENGTH > (1ull << 32))
        return refuse(v, "the instruction is at the top of the 4 GiB space");
    uint8_t bytes[INSN_MAX_LENGTH];
    memcpy(bytes, phys_to_virt(at), sizeof(bytes));
    bool d32 = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & (1u << 14); /* CS.D (SDM 24.4.1) */
    struct insn in;
    int rc = insn_decode(bytes, sizeof(bytes), d32 ? INSN_MODE_32 : INSN_MODE_16, &in);
    if (rc != INSN_OK) {
        snprintf(what, sizeof(what), "cannot emulate the instruction %02x %02x %02x %02x %02x %02x: %s", bytes[0],
                 bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], insn_strerror(rc));
        return refuse(v, what);
    }

    /* the decoder and the CPU must agree on the offset: otherwise vmxlab would emulate the
     * wrong register */
    vcpu_read_rsp(v);
    uint64_t linear = (seg_base(in.seg) + insn_effective_offset(&in, v->gpr)) & 0xFFFFFFFFull;
    if ((linear & 0xFFF) != off) {
        snprintf(what, sizeof(what), "the decoded operand is at 0x%llx, the CPU reported APIC offset 0x%03x",
                 (unsigned long long)linear, off);
        return refuse(v, what);
    }

    /* the one access, in the order insn_decode.h prescribes */
    uint32_t old = in.mem_read ? vlapic_read(&apic.vl, off, in.size) : 0, value = 0;
    bool writes = insn_store_value(&in, v->gpr, old, &value);
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    uint64_t nflags = insn_update_rflags(&in, v->gpr, old, rflags);
    enum vlapic_effect e = writes ? vlapic_write(&apic.vl, off, in.size, value) : VLAPIC_WROTE;
    insn_apply_load(&in, v->gpr, old);
    bool next = insn_string_advance(&in, v->gpr, nflags);
    if (nflags != rflags)
        vmcs_write(VMCS_GUEST_RFLAGS, nflags);
    vmcs_write(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);

    if (log_enabled(LOG_DEBUG) || loud(v, off)) {
        char text[64];
        insn_format(&in, text, sizeof(text));
        klog(loud(v, off) ? LOG_INFO : LOG_DEBUG, "apic",
             "exit 44 (APIC access, fault-like) at %04llx:%04llx: %s -> %s %s 0x%08x, emulated",
             (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, text,
             vlapic_reg_name(off) ? vlapic_reg_name(off) : "(no register)", writes ? "<-" : "->",
             writes ? value : old);
    }
    if (next) {
        v->insn_len = in.length;    /* the length of what was emulated, from the decoder */
        vcpu_skip_instruction(v);
    }
    return writes ? apic_write_effect(v, off, e) : EXIT_RESUME;
}

enum exit_action apic_exit_write(struct vcpu *v)
{
    uint32_t off = ACCESS_OFFSET(v->exit_qualification);
    if (log_enabled(LOG_DEBUG) || loud(v, off))
        klog(loud(v, off) ? LOG_INFO : LOG_DEBUG, "apic",
             "exit 56 (APIC write, trap-like) at %04llx:%04llx: %s <- 0x%08x, found in the virtual-APIC page at +0x%03x",
             (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
             vlapic_reg_name(off) ? vlapic_reg_name(off) : "(no register)", vlapic_reg(&apic.vl, off), off);
    return apic_write_effect(v, off, vlapic_write_done(&apic.vl, off));
}
