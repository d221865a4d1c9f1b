/*
 * libFuzzer harness for the WebSocket frame parser and the UTF-8
 * validator (make fuzz).  The input is fed twice: whole, and in pieces
 * whose sizes come from the input itself, and both runs must agree.
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

    memset(&u, 0, sizeof(u));
    (void) ngx_csq_utf8_feed(&u, (u_char *) data, size);

    step = 1 + data[0] % 7;

    r1 = ngx_csq_fuzz_feed(data, size, size, &s1, &c1);
    r2 = ngx_csq_fuzz_feed(data, size, step, &s2, &c2);

    /* pieces may end early on an error seen sooner, never differently */

    if (r1 != r2 || c1 != c2 || (r1 == NGX_OK && s1 != s2)) {
        __builtin_trap();
    }

    return 0;
}
