/*
 * Unit checks of the RFC 6455 frame parser and the UTF-8 validator
 * (ngx_csq_module/ngx_csq_ws_frame.c), printed as TAP; built and run by
 * t/040-ws-frame.t.  Every frame is also fed one byte at a time, so the
 * incremental paths are checked too.
 */

#include "ngx_csq_ws_frame.h"
#include <stdio.h>


static int  ntest;


/* a client frame: fin, opcode, payload, masked with a fixed key */
static size_t
frame(u_char *out, int fin, int rsv, int opcode, const char *payload,
    size_t len, int masked)
{
    size_t   n = 0, i;
    u_char   key[4] = { 0x37, 0xfa, 0x21, 0x3d };

    out[n++] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;

    if (len < 126) {
        out[n++] = (masked ? 0x80 : 0) | len;

    } else if (len < 65536) {
        out[n++] = (masked ? 0x80 : 0) | 126;
        out[n++] = len >> 8;
        out[n++] = len & 0xff;

    } else {
        out[n++] = (masked ? 0x80 : 0) | 127;
        for (i = 0; i < 8; i++) {
            out[n++] = (uint64_t) len >> (56 - 8 * i);
        }
    }

    if (masked) {
        memcpy(out + n, key, 4);
        n += 4;
    }

    for (i = 0; i < len; i++) {
        out[n + i] = payload[i] ^ (masked ? key[i & 3] : 0);
    }

    return n + len;
}


/*
 * feeds buf (whole, or byte by byte) and describes what came out:
 * "D<op>:<text>|" for a finished message, "C<op>:<len>|" for a control
 * frame, "E<code>" for an error
 */
static void
run(u_char *buf, size_t len, int bytewise, char *out, size_t max_message)
{
    u_char               copy[200000], *pos, *last;
    char                 msg[200000];
    size_t               mlen = 0, step;
    ngx_int_t            rc;
    ngx_csq_ws_frame_t   f;
    ngx_csq_ws_parser_t  p;

    memset(&p, 0, sizeof(p));
    p.max_message = max_message;
    memcpy(copy, buf, len);
    out[0] = '\0';

    pos = copy;
    step = bytewise ? 1 : len;

    for (last = copy; last < copy + len; ) {
        last = (last + step > copy + len) ? copy + len : last + step;

        for ( ;; ) {
            rc = ngx_csq_ws_parse(&p, &pos, last, &f);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                sprintf(out + strlen(out), "E%d", (int) p.close_code);
                return;
            }

            if (rc == NGX_CSQ_WS_CONTROL) {
                sprintf(out + strlen(out), "C%d:%d|", (int) f.opcode,
                        (int) f.len);
                continue;
            }

            memcpy(msg + mlen, f.data, f.len);
            mlen += f.len;

            if (f.last) {
                if (mlen > 40) {
                    sprintf(out + strlen(out), "D%d:#%d|", (int) f.opcode,
                            (int) mlen);
                } else {
                    sprintf(out + strlen(out), "D%d:%.*s|", (int) f.opcode,
                            (int) mlen, msg);
                }
                mlen = 0;
            }
        }
    }
}


static void
check(const char *name, u_char *buf, size_t len, const char *want)
{
    char  got[256];
    int   bytewise;

    for (bytewise = 0; bytewise < 2; bytewise++) {
        run(buf, len, bytewise, got, 65536);
        ntest++;
        if (strcmp(got, want) == 0) {
            printf("ok %d - %s%s\n", ntest, name,
                   bytewise ? " (byte by byte)" : "");
        } else {
            printf("not ok %d - %s%s\n#   got: %s\n#  want: %s\n", ntest,
                   name, bytewise ? " (byte by byte)" : "", got, want);
        }
    }
}


static void
utf8(const char *name, const char *s, size_t len, int valid)
{
    ngx_csq_utf8_t  u;
    size_t          cut;
    int             ok = 1;

    /* whole, and cut at every point */

    for (cut = 0; cut <= len; cut++) {
        int  r;

        memset(&u, 0, sizeof(u));
        r = ngx_csq_utf8_feed(&u, (u_char *) s, cut) == NGX_OK
            && ngx_csq_utf8_feed(&u, (u_char *) s + cut, len - cut) == NGX_OK
            && u.need == 0;

        if (r != valid) {
            ok = 0;
        }
    }

    ntest++;
    printf("%s %d - utf8: %s\n", ok ? "ok" : "not ok", ntest, name);
}


int
main(void)
{
    u_char   b[200000];
    char     big[200000];
    size_t   n;

    memset(big, 'x', sizeof(big));

    /* messages */

    n = frame(b, 1, 0, 1, "hello", 5, 1);
    check("masked text", b, n, "D1:hello|");

    n = frame(b, 1, 0, 2, "a\xfe", 2, 1);
    check("binary", b, n, "D2:a\xfe|");

    n = frame(b, 0, 0, 1, "hel", 3, 1);
    n += frame(b + n, 0, 0, 0, "", 0, 1);
    n += frame(b + n, 1, 0, 0, "lo", 2, 1);
    check("fragmented text, an empty fragment inside", b, n, "D1:hello|");

    n = frame(b, 0, 0, 1, "he", 2, 1);
    n += frame(b + n, 1, 0, 9, "pi", 2, 1);
    n += frame(b + n, 1, 0, 0, "llo", 3, 1);
    check("ping inside a fragmented message", b, n, "C9:2|D1:hello|");

    n = frame(b, 1, 0, 1, big, 300, 1);
    check("16-bit length", b, n, "D1:#300|");

    n = frame(b, 1, 0, 1, big, 65536, 1);
    check("64-bit length at the limit", b, n, "D1:#65536|");

    n = frame(b, 1, 0, 1, "", 0, 1);
    check("empty text", b, n, "D1:|");

    n = frame(b, 0, 0, 1, "\xe4\xbd", 2, 1);
    n += frame(b + n, 1, 0, 0, "\xa0", 1, 1);
    check("a character split across fragments", b, n, "D1:\xe4\xbd\xa0|");

    /* protocol errors: 1002 */

    n = frame(b, 1, 0, 1, "hello", 5, 0);
    check("unmasked client frame", b, n, "E1002");

    n = frame(b, 1, 4, 1, "x", 1, 1);
    check("RSV1 set", b, n, "E1002");

    n = frame(b, 1, 1, 1, "x", 1, 1);
    check("RSV3 set", b, n, "E1002");

    {
        int   op;
        char  name[64];

        for (op = 3; op <= 15; op++) {
            if (op >= 8 && op <= 10) {
                continue;
            }
            n = frame(b, 1, 0, op, "x", 1, 1);
            sprintf(name, "reserved opcode %d", op);
            check(name, b, n, "E1002");
        }
    }

    n = frame(b, 1, 0, 9, big, 126, 1);
    check("control frame over 125 bytes", b, n, "E1002");

    n = frame(b, 0, 0, 9, "x", 1, 1);
    check("fragmented control frame", b, n, "E1002");

    n = frame(b, 1, 0, 0, "x", 1, 1);
    check("continuation without a start", b, n, "E1002");

    n = frame(b, 0, 0, 1, "a", 1, 1);
    n += frame(b + n, 1, 0, 1, "b", 1, 1);
    check("new message inside a fragmented one", b, n, "E1002");

    n = frame(b, 1, 0, 2, "x", 1, 1);
    b[1] = 0x80 | 127;
    memmove(b + 10, b + 2, n - 2);
    memset(b + 2, 0, 8);
    b[2] = 0x80;
    b[9] = 1;
    check("64-bit length with the top bit set", b, n + 8, "E1002");

    /* size: 1009 */

    n = frame(b, 1, 0, 1, big, 65537, 1);
    check("message over the limit", b, n, "E1009");

    n = frame(b, 0, 0, 2, big, 40000, 1);
    n += frame(b + n, 1, 0, 0, big, 30000, 1);
    check("fragments over the limit together", b, n, "E1009");

    /* UTF-8: 1007 */

    n = frame(b, 1, 0, 1, "\xc0\xaf", 2, 1);
    check("overlong text", b, n, "E1007");

    n = frame(b, 1, 0, 1, "\xed\xa0\x80", 3, 1);
    check("surrogate in text", b, n, "E1007");

    n = frame(b, 1, 0, 1, "\xf4\x90\x80\x80", 4, 1);
    check("text over U+10FFFF", b, n, "E1007");

    n = frame(b, 1, 0, 1, "\xe4\xbd", 2, 1);
    check("text ending inside a character", b, n, "E1007");

    n = frame(b, 0, 0, 1, "\xe4", 1, 1);
    n += frame(b + n, 1, 0, 0, "\x41", 1, 1);
    check("invalid character split across fragments", b, n, "E1007");

    n = frame(b, 1, 0, 2, "\xc0\xaf", 2, 1);
    check("binary is not checked as UTF-8", b, n, "D2:\xc0\xaf|");

    /* close frames */

    n = frame(b, 1, 0, 8, "", 0, 1);
    check("close without a code", b, n, "C8:0|");

    n = frame(b, 1, 0, 8, "\x03\xe8" "bye", 5, 1);
    check("close 1000 with a reason", b, n, "C8:5|");

    n = frame(b, 1, 0, 8, "\x03", 1, 1);
    check("close with one byte", b, n, "E1002");

    n = frame(b, 1, 0, 8, "\x03\xed", 2, 1);
    check("close 1005 (reserved)", b, n, "E1002");

    n = frame(b, 1, 0, 8, "\x03\xee", 2, 1);
    check("close 1006 (reserved)", b, n, "E1002");

    n = frame(b, 1, 0, 8, "\x03\xe7", 2, 1);
    check("close 999", b, n, "E1002");

    n = frame(b, 1, 0, 8, "\x0f\xa0", 2, 1);
    check("close 4000 (private use)", b, n, "C8:2|");

    n = frame(b, 1, 0, 8, "\x03\xe8\xc0\xaf", 4, 1);
    check("close reason not UTF-8", b, n, "E1007");

    n = frame(b, 1, 0, 10, "p", 1, 1);
    check("pong", b, n, "C10:1|");

    /* the validator alone */

    utf8("ASCII", "hello", 5, 1);
    utf8("2, 3 and 4 bytes", "\xc2\xa9\xe4\xbd\xa0\xf0\x9f\x98\x80", 9, 1);
    utf8("U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 1);
    utf8("U+D7FF", "\xed\x9f\xbf", 3, 1);
    utf8("overlong 2 bytes", "\xc1\xbf", 2, 0);
    utf8("overlong 3 bytes", "\xe0\x9f\xbf", 3, 0);
    utf8("overlong 4 bytes", "\xf0\x8f\xbf\xbf", 4, 0);
    utf8("surrogate U+D800", "\xed\xa0\x80", 3, 0);
    utf8("over U+10FFFF", "\xf4\x90\x80\x80", 4, 0);
    utf8("f5", "\xf5\x80\x80\x80", 4, 0);
    utf8("lone continuation", "\x80", 1, 0);
    utf8("truncated", "\xe4\xbd", 2, 0);

    printf("1..%d\n", ntest);

    return 0;
}
