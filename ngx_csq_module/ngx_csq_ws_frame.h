
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_WS_FRAME_H_INCLUDED_
#define _NGX_CSQ_WS_FRAME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_CSQ_WS_CONT      0x0
#define NGX_CSQ_WS_TEXT      0x1
#define NGX_CSQ_WS_BINARY    0x2
#define NGX_CSQ_WS_CLOSE     0x8
#define NGX_CSQ_WS_PING      0x9
#define NGX_CSQ_WS_PONG      0xa

/* what ngx_csq_ws_parse() found */
#define NGX_CSQ_WS_DATA      1    /* a piece of a text or binary message */
#define NGX_CSQ_WS_CONTROL   2    /* a whole ping, pong or close frame */

#define NGX_CSQ_WS_CONTROL_MAX  125


/* incremental, strict UTF-8 (no overlongs, surrogates, > U+10FFFF) */
typedef struct {
    ngx_uint_t    need;       /* continuation bytes still expected */
    u_char        lo, hi;     /* the range of the next byte */
} ngx_csq_utf8_t;


typedef struct {
    /* set by the caller */
    uint64_t          max_message;

    /* parser state */
    ngx_uint_t        state;
    u_char            hdr[14];
    ngx_uint_t        hdr_len;
    ngx_uint_t        hdr_need;
    ngx_uint_t        opcode;
    ngx_uint_t        mask_at;
    uint64_t          left;        /* payload bytes of this frame to come */
    u_char            mask[4];
    unsigned          fin:1;

    ngx_uint_t        message;     /* opcode of the message under way */
    uint64_t          message_len;
    ngx_csq_utf8_t    utf8;

    u_char            control[NGX_CSQ_WS_CONTROL_MAX];
    ngx_uint_t        control_len;

    ngx_uint_t        close_code;  /* why the last error */
} ngx_csq_ws_parser_t;


typedef struct {
    ngx_uint_t        opcode;      /* message or control opcode */
    u_char           *data;        /* unmasked, in the input buffer */
    size_t            len;
    unsigned          last:1;      /* DATA: the end of the message */
} ngx_csq_ws_frame_t;


/*
 * Consumes bytes from *pos up to last (unmasking them in place) and
 * returns NGX_CSQ_WS_DATA or NGX_CSQ_WS_CONTROL with f filled, NGX_AGAIN
 * when it needs more bytes, or NGX_ERROR with p->close_code set (1002
 * protocol error, 1007 invalid UTF-8, 1009 too big).
 */
ngx_int_t ngx_csq_ws_parse(ngx_csq_ws_parser_t *p, u_char **pos,
    u_char *last, ngx_csq_ws_frame_t *f);

ngx_int_t ngx_csq_utf8_feed(ngx_csq_utf8_t *u, u_char *p, size_t len);
ngx_uint_t ngx_csq_ws_close_code_valid(ngx_uint_t code);


#endif /* _NGX_CSQ_WS_FRAME_H_INCLUDED_ */
