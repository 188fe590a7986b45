/* Freestanding string and formatting routines. */
#include "kernel/lib.h"

/* REP STOS / REP MOVS (SDM Vol.1 7.3.9.3 "Fast-String Operation"), eight bytes per iteration,
 * then the rest one by one: Bochs counts each iteration as an instruction (docs/performance.md,
 * the INIT path's copies). */
void *memset(void *d, int c, size_t n)
{
    void *p = d;
    size_t q = n / 8, r = n % 8;
    uint64_t pattern = 0x0101010101010101ull * (uint8_t)c;
    __asm__ volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(p), "+c"(r) : "a"(c) : "memory");
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    size_t q = n / 8, r = n % 8;
    __asm__ volatile("rep movsq" : "+D"(dp), "+S"(s), "+c"(q) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(dp), "+S"(s), "+c"(r) : : "memory");
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return 0;
    }
}

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (*s == '-')) { /* sign before zero padding */
        put(o, *s++);
        n--;
    }
    if (!left)
        while (fill--)
            put(o, pad);
    while (n--)
        put(o, *s++);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        int left = 0, width = 0, prec = -1, lng = 0;
        char pad = ' ';
        for (fmt++;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            prec = 0;
            fmt++;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                prec = prec * 10 + (*fmt++ - '0');
        }
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z')
                lng = 2; /* long, long long and size_t are all 64-bit here */
            else if (*fmt == 'h')
                lng = lng > 0 ? lng : lng - 1;
            else
                break;
        }
        char tmp[24];
        size_t n = 0;
        unsigned long long v = 0;
        int neg = 0, base = 10, upper = 0;
        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t len = 0;
            while (s[len] && (prec < 0 || (int)len < prec))
                len++;
            put_padded(&o, s, len, width, left, ' ');
            continue;
        }
        case '%':
            put(&o, '%');
            continue;
        case 'd':
        case 'i': {
            long long sv = lng == 2 ? va_arg(ap, long long) : va_arg(ap, int);
            if (lng == -1)
                sv = (short)sv;
            if (lng == -2)
                sv = (signed char)sv;
            neg = sv < 0;
            v = neg ? 0ull - (unsigned long long)sv : (unsigned long long)sv;
            break;
        }
        case 'p':
            v = (uintptr_t)va_arg(ap, void *);
            base = 16;
            put(&o, '0');
            put(&o, 'x');
            break;
        case 'X':
            upper = 1;
            /* fall through */
        case 'x':
            base = 16;
            /* fall through */
        case 'u':
            v = lng == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            if (lng == -2)
                v = (unsigned char)v;
            break;
        default: /* unknown conversion: print it verbatim */
            put(&o, '%');
            if (*fmt)
                put(&o, *fmt);
            else
                fmt--;
            continue;
        }
        const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        char rev[24];
        size_t r = 0;
        do {
            rev[r++] = digits[v % (unsigned)base];
            v /= (unsigned)base;
        } while (v);
        if (neg)
            tmp[n++] = '-';
        while (r)
            tmp[n++] = rev[--r];
        put_padded(&o, tmp, n, width, left, pad);
    }
    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
