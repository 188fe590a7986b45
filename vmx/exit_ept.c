/* EPT violations and misconfigurations (SDM Vol.3 28.2.3; qualification: Table 27-7).
 *
 * Holes. EPT maps the guest's RAM (WB) and the rest of the 4 GiB below (UC, for the devices);
 * vmxlab's own memory is unmapped. Anything else the guest reaches - above 4 GiB with PAE or
 * 4-level paging, or past the map - is a hole: no RAM, no device. On a PC a read of a hole
 * returns all ones and a write goes nowhere, and an OS that probes memory relies on it. So
 * with ept.holes=ones (the default) vmxlab does what the bus would:
 *   - reads: the hole's page is mapped in EPT, read and execute only, to one page of all ones
 *     that vmxlab keeps. The guest's instruction then runs again and reads 0xFF bytes natively,
 *     whatever instruction it is (MOVS, SSE, a page walk): no emulation of the read, and every
 *     later read of that page costs no exit at all. (Emulating reads instead would need the
 *     decoder to know every instruction an OS may read memory with.)
 *   - writes: the page stays read-only, so a write exits; vmxlab decodes the instruction (it
 *     needs its length: the exit gives none for EPT violations, SDM 27.2.5), drops the store,
 *     does the rest of what the instruction does (flags of an ALU op on all ones, XCHG's load,
 *     a string instruction's pointer and count) and moves RIP past it.
 * Each hole page costs EPT table pages from vmxlab's pool, so at most HOLE_PAGES_MAX are
 * mapped; past that the guest is stopped with the count. With ept.holes=stop, and always for
 * vmxlab's own memory, the guest is stopped with the diagnosis below. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/exit_handlers.h"
#include "vmx/guest_mem.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define HOLE_PAGES_MAX 256   /* hole pages mapped to the page of ones */
#define HOLE_LOG_FIRST 8     /* hole accesses logged one by one per vCPU ... */
#define HOLE_LOG_EVERY 1024  /* ... then every 1024th */

/* The level of this hole access's line: info for the first few and every 1024th, debug for
 * the rest (a probing OS makes many; each serial line costs the guest ~60k instructions) */
static enum log_level hole_log_level(struct vcpu *v)
{
    if (v->hole_accesses == HOLE_LOG_FIRST + 1)
        log_info("ept", "vcpu%u: more hole accesses: from now on every %uth is logged (all at log=debug), the total "
                 "with the statistics", v->id, HOLE_LOG_EVERY);
    if (v->hole_accesses <= HOLE_LOG_FIRST || v->hole_accesses % HOLE_LOG_EVERY == 0)
        return LOG_INFO;
    return LOG_DEBUG;
}

static enum exit_action hole_stop(struct vcpu *v, uint64_t gpa, const char *why)
{
    log_error("ept", "vcpu%u: hole at GPA 0x%llx, at %04llx:%04llx: %s; stopping the guest", v->id,
              (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR),
              (unsigned long long)v->rip, why);
    vcpu_log_registers(v);
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

/* A write to a hole: decode the instruction at CS:RIP and do all of it but the store */
static enum exit_action hole_write(struct vcpu *v, uint64_t gpa)
{
    char why[160];
    enum insn_mode mode = guest_code_mode();
    uint8_t bytes[INSN_MAX_LENGTH] = {0};
    struct guest_fault f;
    int got = guest_fetch_instruction(v, mode, bytes, &f);
    struct insn in;
    int rc = got < 0 ? INSN_ERR_TRUNCATED : insn_decode(bytes, (size_t)got, mode, &in);
    if (rc != INSN_OK || !in.mem_write) {
        snprintf(why, sizeof(why), "cannot emulate the write of %02x %02x %02x %02x %02x %02x: %s", bytes[0],
                 bytes[1], bytes[2], bytes[3], bytes[4], bytes[5],
                 rc != INSN_OK ? insn_strerror(rc) : "the instruction does not write memory");
        return hole_stop(v, gpa, why);
    }
    /* the operand the decoder found must be the page the CPU reported */
    vcpu_read_rsp(v);
    uint64_t linear = insn_operand_offset(&in, v->gpr, v->rip);
    if (insn_segment_counts(&in))
        linear += guest_segment_base(in.seg);
    if (mode != INSN_MODE_64)
        linear &= 0xFFFFFFFFull;
    uint64_t pa;
    if (!guest_translate(linear, GW_WRITE, &pa, &f) || (pa & ~0xFFFull) != (gpa & ~0xFFFull)) {
        snprintf(why, sizeof(why), "the decoded operand at linear 0x%llx is not in the hole's page",
                 (unsigned long long)linear);
        return hole_stop(v, gpa, why);
    }

    /* the store is dropped; memory reads all ones */
    uint64_t ones = in.size >= 8 ? ~0ull : (1ull << (in.size * 8)) - 1, value = 0;
    insn_store_value(&in, v->gpr, ones, &value);
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    uint64_t nflags = insn_update_rflags(&in, v->gpr, ones, rflags);
    insn_apply_load(&in, v->gpr, ones);
    bool next = insn_string_advance(&in, v->gpr, nflags);
    if (nflags != rflags)
        vmcs_write(VMCS_GUEST_RFLAGS, nflags);
    vmcs_write(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);
    enum log_level level = hole_log_level(v);
    if (log_enabled(level)) {
        char text[64];
        insn_format(&in, text, sizeof(text));
        klog(level, "ept", "vcpu%u: hole write #%llu at GPA 0x%llx by %04llx:%04llx %s: 0x%llx dropped (ept.holes=ones)",
                 v->id, (unsigned long long)v->hole_accesses, (unsigned long long)gpa,
                 (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, text,
                 (unsigned long long)value);
    }
    if (next)
        vcpu_skip_bytes(v, in.length); /* the length of what was emulated, from the decoder */
    return EXIT_RESUME;
}

static enum exit_action hole_access(struct vcpu *v, uint64_t q, uint64_t gpa, bool mapped)
{
    v->hole_accesses++;
    if (!mapped) {
        if (gpa >= EPT_GPA_LIMIT)
            return hole_stop(v, gpa, "beyond what 4-level EPT translates");
        /* the EPT tables, the page pool and the count are every vCPU's: one at a time. The
         * new mapping needs no INVEPT on the other CPUs: a not-present entry is not cached
         * (SDM 28.3.2 "Creating and Using Cached Translation Information") */
        static struct spinlock hole_lock;
        spin_lock(&hole_lock);
        if (vmx.hole_pages >= HOLE_PAGES_MAX) {
            spin_unlock(&hole_lock);
            char why[96];
            snprintf(why, sizeof(why), "more than %u hole pages (each costs EPT tables from vmxlab's pool)",
                     HOLE_PAGES_MAX);
            return hole_stop(v, gpa, why);
        }
        if (!vmx.ones_page_pa) {
            vmx.ones_page_pa = vmx_alloc_page();
            memset(phys_to_virt(vmx.ones_page_pa), 0xFF, 4096);
        }
        vmx_ept_map_page(gpa & ~0xFFFull, vmx.ones_page_pa, EPT_READ | EPT_EXECUTE, EPT_MT_WB);
        vmx.hole_pages++;
        spin_unlock(&hole_lock);
    }
    /* Table 27-7: bit 1 a data write; bit 7 the linear-address field is valid, bit 8 (with 7)
     * the access was to the translated address, not to a paging structure */
    if (q & 2) {
        if ((q & (1u << 7)) && !(q & (1u << 8)))
            return hole_stop(v, gpa, "the CPU wrote a paging structure there (accessed/dirty flags)");
        return hole_write(v, gpa);
    }
    enum log_level level = hole_log_level(v);
    if (log_enabled(level))
        klog(level, "ept", "vcpu%u: hole read #%llu at GPA 0x%llx by %04llx:%04llx: %s (ept.holes=ones)", v->id,
                 (unsigned long long)v->hole_accesses, (unsigned long long)gpa,
                 (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
                 mapped ? "reads all ones" : "page mapped read-only to all ones, the instruction runs again");
    return EXIT_RESUME;
}

enum exit_action exit_ept_violation(struct vcpu *v)
{
    uint64_t q = v->exit_qualification, gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
    char access[32];
    unsigned n = 0;
    if (q & 1)
        access[n++] = 'R';
    if (q & 2)
        access[n++] = 'W';
    if (q & 4)
        access[n++] = 'X';
    access[n] = 0;
    struct ept_leaf leaf;
    bool mapped = ept_lookup(&vmx.ept, gpa, &leaf);
    bool hidden = gpa >= vmx.hidden_start && gpa < vmx.hidden_end;
    bool ones = mapped && vmx.ones_page_pa && (leaf.hpa & ~0xFFFull) == vmx.ones_page_pa;
    if (!hidden && (!mapped || ones) && vmx.opts.ept_holes == OPT_HOLES_ONES)
        return hole_access(v, q, gpa, mapped);
    const char *what = hidden   ? "vmxlab's own memory, hidden from the guest"
                       : mapped ? "a mapped page that lacks this permission"
                                : "guest-physical memory that EPT does not map: a hole (ept.holes=stop)";
    if (q & (1u << 7))
        log_error("ept", "EPT violation: %s access to GPA 0x%llx (linear 0x%llx) at %04llx:%04llx: %s",
                  access, (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_LINEAR_ADDRESS),
                  (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, what);
    else
        log_error("ept", "EPT violation: %s access to GPA 0x%llx (no linear address: a page-walk access) at %04llx:%04llx: %s",
                  access, (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR),
                  (unsigned long long)v->rip, what);
    log_error("ept", "qualification 0x%llx: entry permissions %c%c%c (SDM Table 27-7); vmxlab stops the guest and stays in control",
              (unsigned long long)q, q & 8 ? 'r' : '-', q & 16 ? 'w' : '-', q & 32 ? 'x' : '-');
    vcpu_log_registers(v);
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

enum exit_action exit_ept_misconfig(struct vcpu *v)
{
    uint64_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
    struct ept_leaf leaf;
    bool mapped = ept_lookup(&vmx.ept, gpa, &leaf);
    log_error("ept", "EPT misconfiguration at GPA 0x%llx (SDM 28.2.3.1): leaf entry 0x%llx%s: a bug in vmxlab's EPT",
              (unsigned long long)gpa, (unsigned long long)(mapped ? leaf.entry : 0), mapped ? "" : " (no leaf)");
    v->stop_status = STATUS_INTERNAL;
    return EXIT_STOP;
}
