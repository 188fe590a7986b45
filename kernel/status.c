/* The stop hook behind the VGA status line. */
#include "kernel/status.h"
#include "arch/x86_64/vga.h"
#include "kernel/lib.h"
#include "kernel/panic.h"

static const char *const meaning[] = {
    [STATUS_OK] = "ok",
    [STATUS_GUEST_FAILED] = "the guest failed or was stopped",
    [STATUS_BAD_INPUT] = "bad input: see the serial log",
    [STATUS_NO_VMX] = "this CPU cannot run vmxlab",
    [STATUS_INTERNAL] = "internal error: see the serial log",
};

static void (*detail_fn)(char *buf, unsigned long len);

void status_detail_set(void (*fn)(char *buf, unsigned long len)) { detail_fn = fn; }

static void vga_stop(int status)
{
    char line[81], detail[48] = "";
    const char *m = status >= 0 && status < (int)ARRAY_SIZE(meaning) ? meaning[status] : "unknown";
    if (detail_fn)
        detail_fn(detail, sizeof(detail));
    /* the same words as the last serial line, so a photo of the screen greps like a log */
    snprintf(line, sizeof(line), "vmxlab: halted status=%d (%s)%s%s", status, m, detail[0] ? ", " : "", detail);
    vga_status(line);
}

void status_init(void) { stop_hook_register(vga_stop); }
