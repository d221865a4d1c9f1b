
/*
 * Copyright (C) ngx_csq_module authors
 *
 * RFC 6455 frames from a client, strictly: masking required, RSV bits
 * zero, no reserved opcodes, control frames short and whole, continuation
 * only inside a fragmented message, 64-bit lengths with the top bit clear,
 * a message size limit, and text checked as UTF-8 across fragments as it
 * arrives.  No I/O and no allocation: the caller feeds bytes.
 */


#include "ngx_csq_ws_frame.h"


#define NGX_CSQ_WS_HEADER    0
#define NGX_CSQ_WS_PAYLOAD   1


static ngx_int_t ngx_csq_ws_header(ngx_csq_ws_parser_t *p);
static ngx_int_t ngx_csq_ws_control_done(ngx_csq_ws_parser_t *p,
    ngx_csq_ws_frame_t *f);
static ngx_int_t ngx_csq_ws_fail(ngx_csq_ws_parser_t *p, ngx_uint_t code);


ngx_int_t
ngx_csq_ws_parse(ngx_csq_ws_parser_t *p, u_char **pos, u_char *last,
    ngx_csq_ws_frame_t *f)
{
    u_char      *s;
    size_t       n, i;
    ngx_int_t    rc;

    for ( ;; ) {

        if (p->state == NGX_CSQ_WS_HEADER) {

            if (p->hdr_need == 0) {
                p->hdr_need = 2;
            }

            while (p->hdr_len < p->hdr_need) {
                if (*pos == last) {
                    return NGX_AGAIN;
                }

                p->hdr[p->hdr_len++] = *(*pos)++;

                if (p->hdr_len == p->hdr_need) {
                    rc = ngx_csq_ws_header(p);

                    if (rc != NGX_OK) {
                        if (rc == NGX_AGAIN) {
                            continue;       /* the header is longer */
                        }

                        return rc;
                    }
                }
            }

            p->state = NGX_CSQ_WS_PAYLOAD;
            p->mask_at = 0;
            p->control_len = 0;
        }

        /* the payload, possibly empty */

        n = (size_t) ngx_min((uint64_t) (last - *pos), p->left);
        s = *pos;

        for (i = 0; i < n; i++) {
            s[i] ^= p->mask[(p->mask_at + i) & 3];
        }

        p->mask_at += n;
        p->left -= n;
        *pos += n;

        if (p->opcode & 0x8) {

            /* control: gathered whole, at most 125 bytes */

            ngx_memcpy(p->control + p->control_len, s, n);
            p->control_len += n;

            if (p->left) {
                return NGX_AGAIN;
            }

            p->state = NGX_CSQ_WS_HEADER;
            p->hdr_len = 0;
            p->hdr_need = 0;

            return ngx_csq_ws_control_done(p, f);
        }

        if (p->message == NGX_CSQ_WS_TEXT
            && ngx_csq_utf8_feed(&p->utf8, s, n) != NGX_OK)
        {
            return ngx_csq_ws_fail(p, 1007);
        }

        if (p->left == 0) {
            p->state = NGX_CSQ_WS_HEADER;
            p->hdr_len = 0;
            p->hdr_need = 0;
        }

        if (p->left == 0 && p->fin) {

            /* the message ends: text must not stop inside a character */

            if (p->message == NGX_CSQ_WS_TEXT && p->utf8.need) {
                return ngx_csq_ws_fail(p, 1007);
            }

            f->opcode = p->message;
            f->data = s;
            f->len = n;
            f->last = 1;

            p->message = 0;
            p->message_len = 0;

            return NGX_CSQ_WS_DATA;
        }

        if (n) {
            f->opcode = p->message;
            f->data = s;
            f->len = n;
            f->last = 0;

            return NGX_CSQ_WS_DATA;
        }

        if (*pos == last) {
            return NGX_AGAIN;
        }
    }
}


/* the header so far is complete: check it, or ask for its rest */

static ngx_int_t
ngx_csq_ws_header(ngx_csq_ws_parser_t *p)
{
    u_char      *h;
    uint64_t     len;
    ngx_uint_t   i, opcode, lenbytes;

    h = p->hdr;
    opcode = h[0] & 0x0f;

    if (p->hdr_len == 2) {

        if (h[0] & 0x70) {
            return ngx_csq_ws_fail(p, 1002);          /* RSV bits */
        }

        if (!(h[1] & 0x80)) {
            return ngx_csq_ws_fail(p, 1002);          /* not masked */
        }

        if ((opcode > NGX_CSQ_WS_BINARY && opcode < NGX_CSQ_WS_CLOSE)
            || opcode > NGX_CSQ_WS_PONG)
        {
            return ngx_csq_ws_fail(p, 1002);          /* reserved */
        }

        if (opcode & 0x8) {
            if (!(h[0] & 0x80) || (h[1] & 0x7f) > NGX_CSQ_WS_CONTROL_MAX) {
                return ngx_csq_ws_fail(p, 1002);      /* control rules */
            }

        } else if (opcode == NGX_CSQ_WS_CONT) {
            if (p->message == 0) {
                return ngx_csq_ws_fail(p, 1002);      /* nothing to go on */
            }

        } else if (p->message) {
            return ngx_csq_ws_fail(p, 1002);          /* message in message */
        }

        lenbytes = (h[1] & 0x7f) == 126 ? 2 : (h[1] & 0x7f) == 127 ? 8 : 0;
        p->hdr_need = 2 + lenbytes + 4;

        return NGX_AGAIN;
    }

    len = h[1] & 0x7f;
    lenbytes = len == 126 ? 2 : len == 127 ? 8 : 0;

    if (lenbytes) {
        len = 0;

        for (i = 0; i < lenbytes; i++) {
            len = (len << 8) | h[2 + i];
        }

        if (lenbytes == 8 && (h[2] & 0x80)) {
            return ngx_csq_ws_fail(p, 1002);          /* 64-bit MSB */
        }
    }

    ngx_memcpy(p->mask, h + 2 + lenbytes, 4);

    p->opcode = opcode;
    p->fin = (h[0] & 0x80) ? 1 : 0;
    p->left = len;

    if (!(opcode & 0x8)) {

        if (opcode != NGX_CSQ_WS_CONT) {
            p->message = opcode;
            p->message_len = 0;
            p->utf8.need = 0;
        }

        if (len > p->max_message
            || p->message_len + len > p->max_message)
        {
            return ngx_csq_ws_fail(p, 1009);
        }

        p->message_len += len;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_csq_ws_control_done(ngx_csq_ws_parser_t *p, ngx_csq_ws_frame_t *f)
{
    ngx_uint_t      code;
    ngx_csq_utf8_t  u;

    if (p->opcode == NGX_CSQ_WS_CLOSE && p->control_len) {

        if (p->control_len < 2) {
            return ngx_csq_ws_fail(p, 1002);
        }

        code = (p->control[0] << 8) | p->control[1];

        if (!ngx_csq_ws_close_code_valid(code)) {
            return ngx_csq_ws_fail(p, 1002);
        }

        ngx_memzero(&u, sizeof(ngx_csq_utf8_t));

        if (ngx_csq_utf8_feed(&u, p->control + 2, p->control_len - 2)
            != NGX_OK
            || u.need)
        {
            return ngx_csq_ws_fail(p, 1007);
        }
    }

    f->opcode = p->opcode;
    f->data = p->control;
    f->len = p->control_len;
    f->last = 1;

    return NGX_CSQ_WS_CONTROL;
}


/* codes a peer may send in a close frame (RFC 6455 7.4) */

ngx_uint_t
ngx_csq_ws_close_code_valid(ngx_uint_t code)
{
    if (code >= 3000 && code <= 4999) {
        return 1;
    }

    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}


static ngx_int_t
ngx_csq_ws_fail(ngx_csq_ws_parser_t *p, ngx_uint_t code)
{
    p->close_code = code;

    return NGX_ERROR;
}


/*
 * Strict UTF-8, fed piece by piece: the first byte of a character sets
 * how many continuation bytes follow and the range of the next one, which
 * is where overlong forms, surrogates and code points over U+10FFFF are
 * refused.  need > 0 at the end means a character was cut.
 */

ngx_int_t
ngx_csq_utf8_feed(ngx_csq_utf8_t *u, u_char *p, size_t len)
{
    u_char  c, *last;

    for (last = p + len; p < last; p++) {
        c = *p;

        if (u->need) {
            if (c < u->lo || c > u->hi) {
                return NGX_ERROR;
            }

            u->need--;
            u->lo = 0x80;
            u->hi = 0xbf;
            continue;
        }

        if (c < 0x80) {
            continue;
        }

        u->lo = 0x80;
        u->hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            u->need = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            u->need = 2;

            if (c == 0xe0) {
                u->lo = 0xa0;                 /* no overlong */

            } else if (c == 0xed) {
                u->hi = 0x9f;                 /* no surrogates */
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            u->need = 3;

            if (c == 0xf0) {
                u->lo = 0x90;                 /* no overlong */

            } else if (c == 0xf4) {
                u->hi = 0x8f;                 /* not over U+10FFFF */
            }

        } else {
            return NGX_ERROR;                 /* 80-c1, f5-ff */
        }
    }

    return NGX_OK;
}
