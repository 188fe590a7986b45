/* vmxlab's boot flow: console, descriptor tables, what GRUB handed over, options, memory,
 * the guest image, then VMX. Every way out ends in vmxlab_stop() with a status line. */
#include "apic/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/vga.h"
#include "kernel/acpi.h"
#include "kernel/guestimg.h"
#include "kernel/screen.h"
#include "kernel/mptable.h"
#include "kernel/smp.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/multiboot2.h"
#include "kernel/options.h"
#include "kernel/panic.h"
#include "kernel/status.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

#define VMXLAB_VERSION "0.1.0"
#define KERNEL_VMA 0xFFFFFFFF80000000ull
#define LINK_BASE 0x200000ull

extern char __image_start[], __image_end[];

static struct mb2_info mbi;
static struct options opts;
static struct page_pool pool;
static char cmdline[OPTIONS_CMDLINE_MAX + 1];

static void help_line(void *ctx, const char *text)
{
    (void)ctx;
    log_info("options", "%s", text);
}

static void print_memory_map(void)
{
    for (unsigned i = 0; i < mbi.mmap_count; i++) {
        const struct mb2_mmap_entry *m = &mbi.mmap[i];
        log_info("mb2", "mmap %016llx-%016llx %s", (unsigned long long)m->base,
                 (unsigned long long)(m->base + m->length - 1), mb2_mem_type_name(m->type));
    }
}

/* An AP's life once the guest may start: its vCPU, set up on its own CPU, then run. It waits
 * for SIPI until the guest's INIT-SIPI-SIPI reaches it through its virtual APIC. */
static __attribute__((noreturn)) void ap_vcpu_main(unsigned index)
{
    struct vcpu *v = vmx_vcpu_create(index);
    apic_vcpu_setup(v);
    smp_ap_ready(index);
    vmx_run(v);
}

void kmain(uint32_t magic, uint32_t info_phys, uint64_t load_base, uint64_t handoff_tsc);
void kmain(uint32_t magic, uint32_t info_phys, uint64_t load_base, uint64_t handoff_tsc)
{
    char err[256];
    cpu_local_init(0); /* the boot CPU is CPU 0 (the log reads it) */
    serial_init();
    log_raw("vmxlab: start version=" VMXLAB_VERSION);
    gdt_init();
    idt_init(fatal_trap);
    screen_init(); /* before status_init: the dump must read row 0 before the status line covers it */
    status_init();

    if (magic != MB2_BOOTLOADER_MAGIC) {
        log_error("boot", "not started by a multiboot2 loader (EAX=0x%x, expected 0x%x)", magic, MB2_BOOTLOADER_MAGIC);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    if (!mb2_parse((const void *)(uintptr_t)info_phys, 1u << 20, &mbi, err, sizeof(err))) {
        log_error("mb2", "malformed boot information at 0x%x: %s", info_phys, err);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    acpi_init(&mbi); /* as early as it can: every later stop then powers a real machine off */
    if (!options_take_cmdline(mbi.cmdline, cmdline, err, sizeof(err)) ||
        !options_parse(cmdline, &opts, err, sizeof(err))) {
        log_error("options", "%s", err);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    log_threshold = (enum log_level)opts.log;
    vga_enable(opts.vga);
    screen_dump_enable(opts.screen_dump);
    vga_status("vmxlab " VMXLAB_VERSION ": booting"); /* only now: vga=off must leave the screen alone */
    if (opts.help) {
        options_help(help_line, 0);
        vmxlab_stop(STATUS_OK);
    }

    uint64_t image_size = (uint64_t)(__image_end - __image_start);
    uint64_t image_phys = load_base;
    log_info("boot", "vmxlab lives at 0x%08llx-0x%08llx (%llu KiB), linked at 0x%llx, loaded by %s",
             (unsigned long long)image_phys, (unsigned long long)(image_phys + image_size - 1),
             (unsigned long long)(image_size >> 10), (unsigned long long)(KERNEL_VMA + LINK_BASE), mbi.bootloader);
    log_info("boot", "hand-off tsc=%llu (TSC when GRUB jumped to vmxlab)", (unsigned long long)handoff_tsc);
    log_info("boot", "command line: \"%s\"", cmdline);
    if (mbi.has_bootdev)
        log_info("mb2", "BIOS boot device 0x%02x partition %d", mbi.biosdev, (int)mbi.partition);
    print_memory_map();

    struct mem_map_entry map[MB2_MAX_MMAP];
    for (unsigned i = 0; i < mbi.mmap_count; i++)
        map[i] = (struct mem_map_entry){mbi.mmap[i].base, mbi.mmap[i].length, mbi.mmap[i].type};
    const char *why = "";
    if (!pool_init(&pool, map, mbi.mmap_count, image_phys, image_phys + image_size, &why)) {
        log_error("mem", "no page pool for vmxlab: %s", why);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    pool_reserve(&pool, info_phys, info_phys + mbi.total_size);
    for (unsigned i = 0; i < mbi.module_count; i++)
        pool_reserve(&pool, mbi.modules[i].start, mbi.modules[i].end);
    if (mbi.has_elf_sections) {
        uint64_t sym[2][2];
        symbols_init(mbi.elf_sections, mbi.elf_num, mbi.elf_entsize);
        symbols_ranges(sym); /* GRUB may have put them anywhere, the pool included */
        pool_reserve(&pool, sym[0][0], sym[0][1]);
        pool_reserve(&pool, sym[1][0], sym[1][1]);
    }
    log_info("mem", "page pool 0x%08llx-0x%08llx (%llu KiB), taken from the top down",
             (unsigned long long)pool.pool.start, (unsigned long long)pool.pool.end - 1,
             (unsigned long long)((pool.pool.end - pool.pool.start) >> 10));

    if (opts.debug == OPT_DEBUG_FAULT) {
        log_info("boot", "debug=fault: executing UD2 to exercise the fatal funnel");
        __asm__ volatile("ud2");
    }

    const struct mb2_module *guest = mb2_find_module(&mbi, "guest");
    if (!guest) {
        log_error("guest", "no guest module: add 'module2 /boot/guest.bin guest' to the GRUB entry");
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    const struct mb2_module *other = mb2_find_module_after(&mbi, "guest", guest);
    if (other) {
        log_error("guest", "two guest modules: '%s' (module %u, %u bytes) and '%s' (module %u, %u bytes): "
                  "keep one 'module2 FILE guest' line in the GRUB entry", guest->string,
                  (unsigned)(guest - mbi.modules) + 1, guest->end - guest->start, other->string,
                  (unsigned)(other - mbi.modules) + 1, other->end - other->start);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    /* BDA base memory size (KiB), less the top KiB that vmxlab's INT 15h stub takes (vmx/biosmem.c) */
    uint32_t conv_top = ((uint32_t)(*(volatile uint16_t *)phys_to_virt(0x413)) << 10) - 1024;
    uint32_t gsize = guest->end - guest->start;
    if (!guest_image_check(opts.guest_load, gsize, conv_top, err, sizeof(err))) {
        log_error("guest", "%s", err);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    const char *gname = strchr(guest->string, ' '); /* "guest NAME": an optional name for the log */
    gname = gname && gname[1] ? gname + 1 : "guest";
    const char *drive_why;
    uint8_t drive = guest_drive_pick(phys_to_virt(guest->start), gsize, opts.drive_given, opts.drive,
                                     mbi.has_bootdev, mbi.biosdev, &drive_why);
    log_info("guest", "name=%s size=%u load=0x%x entry=%04x:%04x DL=0x%02x (%s)", gname, gsize, opts.guest_load,
             opts.entry_cs, opts.entry_ip, drive, drive_why);

    int st = vmx_probe();
    if (st != STATUS_OK)
        vmxlab_stop(st);
    /* the other CPUs: before the guest image is placed, while no guest code has run (kernel/smp.c) */
    static const struct smp_vmx_ops smp_vmx = {vmx_enable_this_cpu, vmx_enable_result_text};
    const struct acpi_madt *cpu_list = acpi_madt()->cpu_count ? acpi_madt() : mp_cpus();
    unsigned max_cpus = opts.cpus && opts.cpus < VMX_MAX_VCPUS ? opts.cpus : VMX_MAX_VCPUS;
    unsigned cpus_up = smp_start(cpu_list, max_cpus, &smp_vmx, &pool, &mbi, info_phys, conv_top);
    /* apic=passthrough lets the guest's INIT-SIPI-SIPI reach the physical CPUs. One that vmxlab
     * parked in VMX root ignores them (SDM Vol.3C 23.8: INIT is blocked in VMX root operation,
     * and a SIPI does nothing outside wait-for-SIPI); any other would start running the guest's
     * code outside VMX, where EPT does not hide vmxlab's memory. */
    if (opts.apic == OPT_APIC_PASSTHROUGH && cpus_up < cpu_list->cpu_count) {
        log_error("apic", "apic=passthrough with %u of %u CPUs parked by vmxlab: the guest's INIT-SIPI-SIPI would "
                          "start the others outside VMX, where EPT does not protect vmxlab (drop cpus=, or use "
                          "apic=apicv|decode)", cpus_up, cpu_list->cpu_count);
        vmxlab_stop(STATUS_BAD_INPUT);
    }
    struct vmx_guest_image image = {phys_to_virt(guest->start), gsize, drive};
    vmx_setup(&opts, &mbi, &pool, &image);
    apic_setup(&opts);
    /* every other CPU gets its vCPU (passthrough: none, the guest cannot start them) */
    if (opts.apic == OPT_APIC_PASSTHROUGH && cpus_up > 1)
        log_info("smp", "apic=passthrough: the %u APs stay parked in VMX root without a vCPU (INIT is blocked "
                        "there, SDM 23.8): the guest runs on one CPU", cpus_up - 1);
    for (unsigned i = 1; i < cpus_up && opts.apic != OPT_APIC_PASSTHROUGH; i++)
        if (!smp_run(i, ap_vcpu_main)) {
            log_error("smp", "cpu%u did not set up vcpu%u within 100 ms", i, i);
            vmxlab_stop(STATUS_INTERNAL);
        }
    vga_status("vmxlab " VMXLAB_VERSION ": guest running");
    vmx_run(vmx_vcpu(0));
}
