/* The memory map the guest's BIOS calls report: INT 15h E820 (ACPI spec, "System Address Map
 * Interfaces"), E801h and 88h answered from the guest map, where vmxlab's own memory is
 * reserved (vmx/e820.c), so that an OS in the guest never uses it. The INT 15h hook is a
 * stub in conventional memory (vmx/biosmem_stub.asm), as BitVisor and XMHF do. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_internal.h"

extern const uint8_t biosmem_stub_start[], biosmem_stub_end[];
extern const uint16_t biosmem_stub_vmcall, biosmem_stub_old_vector;

#define SMAP 0x534D4150u /* "SMAP" */
#define BDA_BASE_MEMORY_KB 0x413
#define IVT_INT15 (0x15 * 4)
#define FLAGS_CF 1u

static struct e820_legacy_sizes legacy;

void biosmem_install(void)
{
    volatile uint16_t *base_kb = phys_to_virt(BDA_BASE_MEMORY_KB);
    volatile uint32_t *ivt15 = phys_to_virt(IVT_INT15);
    uint32_t size = (uint32_t)(biosmem_stub_end - biosmem_stub_start);
    uint16_t kb = (uint16_t)(*base_kb - 1); /* the top KiB of conventional memory */
    uint32_t linear = (uint32_t)kb << 10;
    uint16_t seg = (uint16_t)(linear >> 4);
    memcpy(phys_to_virt(linear), biosmem_stub_start, size);
    *(volatile uint32_t *)phys_to_virt(linear + biosmem_stub_old_vector) = *ivt15;
    uint32_t old = *ivt15;
    *ivt15 = (uint32_t)seg << 16; /* seg:0000 */
    *base_kb = kb;
    vmx.bios_hook_linear = linear + biosmem_stub_vmcall;
    vmx.bios_hook_rip = biosmem_stub_vmcall;
    e820_legacy_sizes(vmx.guest_map, vmx.guest_map_count, &legacy);
    log_info("bios", "INT 15h E820/E801/88h answered by vmxlab: stub at %04x:0000 (base memory now %u KiB), "
                     "BIOS handler %04x:%04x for the rest; guest map has %zu entries",
             seg, kb, old >> 16, old & 0xFFFF, vmx.guest_map_count);
    for (size_t i = 0; i < vmx.guest_map_count; i++)
        log_debug("bios", "guest E820 %016llx-%016llx type %u", (unsigned long long)vmx.guest_map[i].base,
                  (unsigned long long)(vmx.guest_map[i].base + vmx.guest_map[i].length - 1), vmx.guest_map[i].type);
}

static void set_carry(struct vcpu *v, bool carry)
{
    /* the FLAGS word the INT pushed: SS:SP -> IP, CS, FLAGS (SDM 20.1.4) */
    uint64_t ss = vmcs_read(VMCS_GUEST_SS_BASE), sp = vcpu_read_rsp(v) & 0xFFFF;
    volatile uint16_t *flags = phys_to_virt(ss + sp + 4);
    *flags = (uint16_t)(carry ? (*flags | FLAGS_CF) : (*flags & ~FLAGS_CF));
}

static void set16(struct vcpu *v, enum vcpu_gpr r, uint16_t value) { v->gpr[r] = (v->gpr[r] & ~0xFFFFull) | value; }

bool biosmem_vmcall(struct vcpu *v)
{
    /* the stub runs at SEG:0000, so its VMCALL is at offset biosmem_stub_vmcall: exit_vmcall
     * compares that first (vmx.bios_hook_rip) and calls here only for a likely match */
    if (!vmx.bios_hook_linear || vmcs_read(VMCS_GUEST_CS_BASE) + v->rip != vmx.bios_hook_linear)
        return false;
    uint32_t eax = (uint32_t)v->gpr[GPR_RAX];
    bool ok = true;
    if (eax == 0xE820) {
        uint32_t idx = (uint32_t)v->gpr[GPR_RBX], want = (uint32_t)v->gpr[GPR_RCX];
        uint64_t buf;
        uint64_t es = vmcs_read(VMCS_GUEST_ES_BASE), di = v->gpr[GPR_RDI] & 0xFFFF;
        ok = (uint32_t)v->gpr[GPR_RDX] == SMAP && want >= 20 && idx < vmx.guest_map_count &&
             guest_linear_to_phys(v, es + di, want >= 24 ? 24 : 20, &buf);
        if (ok) {
            const struct e820_entry *e = &vmx.guest_map[idx];
            uint8_t *p = phys_to_virt(buf);
            memcpy(p, &e->base, 8);
            memcpy(p + 8, &e->length, 8);
            memcpy(p + 16, &e->type, 4);
            if (want >= 24) {
                uint32_t attr = 1; /* ACPI 3.0 extended attributes: enabled */
                memcpy(p + 20, &attr, 4);
            }
            v->gpr[GPR_RAX] = SMAP;
            v->gpr[GPR_RCX] = want >= 24 ? 24 : 20;
            v->gpr[GPR_RBX] = idx + 1 < vmx.guest_map_count ? idx + 1 : 0;
            log_debug("bios", "E820 #%u: %016llx+%llx type %u", idx, (unsigned long long)e->base,
                      (unsigned long long)e->length, e->type);
        } else {
            set16(v, GPR_RAX, (uint16_t)((v->gpr[GPR_RAX] & 0xFF) | 0x8600)); /* AH=86h: not supported */
        }
    } else if ((eax & 0xFFFF) == 0xE801) {
        set16(v, GPR_RAX, legacy.e801_kb_1m_16m);
        set16(v, GPR_RCX, legacy.e801_kb_1m_16m);
        set16(v, GPR_RBX, legacy.e801_64k_above_16m);
        set16(v, GPR_RDX, legacy.e801_64k_above_16m);
        log_debug("bios", "E801: %u KiB below 16 MiB, %u x 64 KiB above", legacy.e801_kb_1m_16m, legacy.e801_64k_above_16m);
    } else { /* AH=88h */
        set16(v, GPR_RAX, legacy.ah88_kb);
        log_debug("bios", "AH=88h: %u KiB above 1 MiB", legacy.ah88_kb);
    }
    set_carry(v, !ok);
    vcpu_skip_instruction(v);
    return true;
}
