/* I/O instructions (exit reason 30) and the machine events behind a few ports.
 *
 * vmxlab's contract leaves I/O ports to the guest: with "use I/O bitmaps" (SDM Vol.3 24.6.4,
 * 25.1.3) only the ports below exit, and only because a write to them is not a device access
 * but a machine event that must not reach the real machine while it is in VMX operation:
 *   - a reset: keyboard controller 0x64 <- FEh, reset control register 0xCF9 (RST_CPU), fast
 *     reset through system control port A 0x92 (bit 0), the FADT's RESET_REG (an I/O port);
 *   - ACPI soft-off: SLP_EN with \_S5's SLP_TYP in PM1a_CNT/PM1b_CNT (ACPI 6.5 7.4.2, 4.8.3.2.1).
 * A reset is on_reset's (halt: stop with status 0; restart: the guest starts again at its
 * entry point, see guest_restart), a soft-off stops vmxlab with status 0. Every other access
 * to these ports, IN or OUT, is carried out for the guest unchanged; string I/O (INS/OUTS)
 * to them is refused (the guest is stopped, the log says why). */
#include "arch/x86_64/cpu.h"
#include "kernel/acpi.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/io_decode.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

static uint32_t port_in(uint16_t port, unsigned size)
{
    if (size == 1)
        return inb(port);
    if (size == 2)
        return inw(port);
    return inl(port);
}

static void port_out(uint16_t port, unsigned size, uint32_t value)
{
    if (size == 1)
        outb(port, (uint8_t)value);
    else if (size == 2)
        outw(port, (uint16_t)value);
    else
        outl(port, value);
}

/* SDM 24.6.4: bitmap A covers ports 0000-7FFF, B 8000-FFFF, one bit per port. */
static void io_bitmap_intercept(uint16_t port)
{
    uint8_t *bm = phys_to_virt(vmx.io_bitmap_pa[port >> 15]);
    unsigned bit = port & 0x7FFF;
    bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

void io_setup(const struct vmx_guest_image *guest)
{
    const struct acpi_s5 *acpi = acpi_found();
    uint16_t ports[8];
    char list[8 * 8] = "";
    size_t n, len = 0;

    vmx.io_watch = (struct io_watch){.pm1a_cnt = acpi->pm1a_cnt, .pm1b_cnt = acpi->pm1b_cnt,
                                     .slp_typa = acpi->slp_typa, .slp_typb = acpi->slp_typb,
                                     .reset_port = acpi->reset_port, .reset_value = acpi->reset_value};
    vmx.io_bitmap_pa[0] = vmx_alloc_page();
    vmx.io_bitmap_pa[1] = vmx_alloc_page();
    n = io_watch_ports(&vmx.io_watch, ports);
    for (size_t i = 0; i < n; i++) {
        io_bitmap_intercept(ports[i]);
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s0x%x", i ? " " : "", ports[i]);
    }
    vmcs_write(VMCS_IO_BITMAP_A, vmx.io_bitmap_pa[0]);
    vmcs_write(VMCS_IO_BITMAP_B, vmx.io_bitmap_pa[1]);
    log_info("io", "ports intercepted for guest reset and power-off: %s (every other port is the guest's)", list);

    /* on_reset=restart puts the image back as the guest first had it: keep a copy where the
     * guest cannot write (the pool is hidden by EPT) */
    vmx.boot_drive = guest->boot_drive;
    if (vmx.opts.on_reset == OPT_RESET_RESTART) {
        unsigned pages = (unsigned)((guest->size + PAGE_SIZE - 1) / PAGE_SIZE);
        vmx.guest_copy_pa = pool_alloc_pages(vmx.pool, pages ? pages : 1);
        if (!vmx.guest_copy_pa)
            panic("on_reset=restart: no room in the pool for a %u-byte copy of the guest image", guest->size);
        memcpy(phys_to_virt(vmx.guest_copy_pa), guest->data, guest->size);
        vmx.guest_copy_size = guest->size;
    }
}

/* on_reset=restart. A real reset runs the firmware again, which would POST and load the boot
 * sector from its drive; vmxlab cannot run the BIOS's POST under VMX (Bochs's dies), so it
 * does what the POST would leave for the boot sector: the guest image copied back to
 * guest.load from the copy taken at start (for a chainloaded disk: its boot sector as read
 * then, not re-read from the disk), the vCPU reset (SDM Vol.3A 9.1: INIT state, events
 * dropped, TLBs flushed) and then put in the entry state of the guest contract (real mode at
 * guest.entry, SS:SP 0000:7C00, DL = boot drive, IF = 1). Other memory, the devices, the
 * virtual local APIC and the BIOS data area stay as the guest left them: an OS that rewrote
 * the interrupt vector table cannot be restarted this way (use on_reset=halt). */
static void guest_restart(struct vcpu *v)
{
    struct vcpu_start s = vcpu_entry_point();
    vcpu_init_reset(v, &s);
    vmx_guest_initial_state(v, &vmx.opts, vmx.boot_drive);
    memcpy(phys_to_virt(vmx.opts.guest_load), phys_to_virt(vmx.guest_copy_pa), vmx.guest_copy_size);
    log_info("io", "on_reset=restart: guest image reloaded at 0x%x (%u bytes), restart #%u at %04x:%04x, DL=0x%02x",
             vmx.opts.guest_load, vmx.guest_copy_size, ++vmx.guest_restarts, s.cs_selector, s.rip, vmx.boot_drive);
}

static const char *const event_key[] = {
    [IO_EVENT_RESET_KBD] = "kbd", [IO_EVENT_RESET_CF9] = "cf9", [IO_EVENT_RESET_FAST] = "fast",
    [IO_EVENT_RESET_ACPI] = "acpi",
};

static enum exit_action io_event(struct vcpu *v, const char *insn, uint32_t value, enum io_event e, uint8_t typ)
{
    switch (e) {
    case IO_EVENT_POWER_OFF:
        log_info("io", "guest powered off: %s <- 0x%x sets SLP_EN with SLP_TYP %u (\\_S5): %s, stopping with status 0",
                 insn, value, typ, io_event_name(e));
        v->stop_status = STATUS_OK;
        return EXIT_STOP;
    case IO_EVENT_SLEEP:
        /* S1-S4 would stop the real CPU in VMX operation; the write is dropped, so for the
         * guest the sleep ends at once, as after an immediate wake event */
        log_warn("io", "%s <- 0x%x asks for ACPI sleep with SLP_TYP %u (not \\_S5): vmxlab does not sleep, "
                       "the write is dropped and the guest goes on", insn, value, typ);
        vcpu_skip_instruction(v);
        return EXIT_RESUME;
    default:
        break;
    }
    log_info("io", "guest reset event=%s: %s <- 0x%02x (%s), on_reset=%s", event_key[e], insn, value,
             io_event_name(e), vmx.opts.on_reset == OPT_RESET_RESTART ? "restart" : "halt");
    if (vmx.opts.on_reset == OPT_RESET_RESTART) {
        guest_restart(v);
        return EXIT_RESUME;
    }
    v->stop_status = STATUS_OK;
    return EXIT_STOP;
}

/* Exit reason 30 (SDM 25.1.3; qualification Table 27-5). Only the ports io_setup() marks
 * exit, so this runs for the guest's accesses to them: 8042 status reads and PCI
 * configuration dwords through 0xCF8 are the frequent ones, hence log_debug. */
enum exit_action exit_io_instruction(struct vcpu *v)
{
    struct io_access a;
    char insn[40];
    if (!io_qual_decode(v->exit_qualification, &a)) {
        log_error("exit", "I/O instruction with qualification 0x%llx: a size encoding SDM Table 27-5 does not list",
                  (unsigned long long)v->exit_qualification);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    io_access_format(&a, insn, sizeof(insn));
    if (a.string) {
        log_error("exit", "%s: string I/O to a port vmxlab intercepts (reset and ACPI power-off, README) is not "
                          "emulated: stopping the guest", insn);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    uint32_t mask = a.size == 4 ? 0xFFFFFFFFu : (1u << (8 * a.size)) - 1;
    if (a.in) {
        uint32_t value = port_in(a.port, a.size);
        /* a 32-bit IN writes EAX, which clears RAX[63:32] in 64-bit mode (SDM Vol.1 3.4.1.1) */
        v->gpr[GPR_RAX] = a.size == 4 ? value : (v->gpr[GPR_RAX] & ~(uint64_t)mask) | value;
        log_debug("exit", "%s -> 0x%x: carried out for the guest", insn, value);
    } else {
        uint32_t value = (uint32_t)v->gpr[GPR_RAX] & mask;
        uint8_t typ = 0;
        enum io_event e = io_event_of_write(&a, value, &vmx.io_watch, &typ);
        if (e != IO_EVENT_NONE)
            return io_event(v, insn, value, e, typ);
        port_out(a.port, a.size, value);
        log_debug("exit", "%s <- 0x%x: carried out for the guest", insn, value);
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
