/*
 * libFuzzer harness for the WebSocket frame parser and the UTF-8
 * validator (make fuzz).  The input is fed to the parser twice: whole,
 * and in pieces whose sizes come from the input itself, and both runs
 * must agree.  The validator, fed the input in pieces, must agree with a
 * plain decoder written from RFC 3629 (Table 3-7 of Unicode).
 */

#include "ngx_csq_ws_frame.h"


static ngx_int_t
ngx_csq_fuzz_feed(const uint8_t *data, size_t size, size_t step,
    uint64_t *sum, ngx_uint_t *code)
{
    u_char               buf[65536], *pos, *last;
    size_t               i;
    ngx_int_t            rc;
    ngx_csq_ws_frame_t   f;
    ngx_csq_ws_parser_t  p;

    memset(&p, 0, sizeof(p));
    p.max_message = 4096;
    memcpy(buf, data, size);

    *sum = 0;
    pos = buf;

    for (last = buf; last < buf + size; ) {
        last = (last + step > buf + size) ? buf + size : last + step;

        for ( ;; ) {
            rc = ngx_csq_ws_parse(&p, &pos, last, &f);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                *code = p.close_code;
                return NGX_ERROR;
            }

            if (rc == NGX_CSQ_WS_CONTROL) {
                if (f.len > NGX_CSQ_WS_CONTROL_MAX) {
                    __builtin_trap();
                }

                *sum = *sum * 31 + 0x200 + f.opcode + f.len;
                continue;
            }

            /* message bytes lie in the input just consumed */

            if (f.len > 4096
                || (f.len && (f.data < buf || f.data + f.len > pos)))
            {
                __builtin_trap();
            }

            for (i = 0; i < f.len; i++) {
                *sum = *sum * 31 + f.data[i];
            }

            if (f.last) {
                *sum = *sum * 31 + 0x100 + f.opcode;
            }
        }
    }

    *code = 0;
    return NGX_OK;
}


/* whole-buffer strict UTF-8: 1 valid and complete, 0 not */

static int
ngx_csq_fuzz_utf8(const uint8_t *s, size_t n)
{
    size_t    i, k, need;
    uint32_t  cp, min;

    for (i = 0; i < n; ) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            need = 1; cp = s[i] & 0x1f; min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            need = 2; cp = s[i] & 0x0f; min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            need = 3; cp = s[i] & 0x07; min = 0x10000;

        } else {
            return 0;
        }

        for (k = 1; k <= need; k++) {
            if (i + k >= n || (s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += need + 1;
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          step;
    uint64_t        s1, s2;
    ngx_uint_t      c1, c2;
    ngx_int_t       r1, r2;
    ngx_csq_utf8_t  u;

    if (size == 0 || size > 65536) {
        return 0;
    }

    step = 1 + data[0] % 7;

    /* the validator in pieces against the reference on the whole */

    memset(&u, 0, sizeof(u));
    r1 = NGX_OK;

    for (s1 = 0; s1 < size && r1 == NGX_OK; s1 += step) {
        r1 = ngx_csq_utf8_feed(&u, (u_char *) data + s1,
                               size - s1 < step ? size - s1 : step);
    }

    if ((r1 == NGX_OK && u.need == 0) != ngx_csq_fuzz_utf8(data, size)) {
        __builtin_trap();
    }

    r1 = ngx_csq_fuzz_feed(data, size, size, &s1, &c1);
    r2 = ngx_csq_fuzz_feed(data, size, step, &s2, &c2);

    /* pieces may end early on an error seen sooner, never differently */

    if (r1 != r2 || c1 != c2 || (r1 == NGX_OK && s1 != s2)) {
        __builtin_trap();
    }

    return 0;
}
