
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_WS_H_INCLUDED_
#define _NGX_CSQ_WS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_ws_frame.h"


/* close codes the server sends */
#define NGX_CSQ_WS_NORMAL        1000
#define NGX_CSQ_WS_GOING_AWAY    1001
#define NGX_CSQ_WS_PROTOCOL      1002
#define NGX_CSQ_WS_UNSUPPORTED   1003
#define NGX_CSQ_WS_POLICY        1008
#define NGX_CSQ_WS_TOO_BIG       1009
#define NGX_CSQ_WS_OVERLOAD      1013

#define NGX_CSQ_HTTP_UPGRADE_REQUIRED  426


typedef struct ngx_csq_ws_s      ngx_csq_ws_t;
typedef struct ngx_csq_ws_out_s  ngx_csq_ws_out_t;

/* a whole text message; the data lives only for the call */
typedef void (*ngx_csq_ws_message_pt)(ngx_csq_ws_t *ws, u_char *data,
    size_t len);
typedef void (*ngx_csq_ws_event_pt)(ngx_csq_ws_t *ws);


typedef struct {
    size_t                   max_message;
    size_t                   send_queue;
    ngx_msec_t               ping;
} ngx_csq_ws_conf_t;


struct ngx_csq_ws_s {
    ngx_connection_t        *connection;
    ngx_csq_ws_conf_t       *conf;

    ngx_csq_ws_message_pt    on_message;
    ngx_csq_ws_event_pt      on_ping;     /* each keepalive interval */
    ngx_csq_ws_event_pt      on_close;    /* once, before the memory goes */
    ngx_csq_ws_event_pt      on_drain;    /* everything queued is sent */
    void                    *data;

    ngx_csq_ws_parser_t      parser;

    u_char                  *pre;         /* read with the handshake */
    size_t                   pre_len;

    u_char                  *msg;         /* a fragmented message, malloc */
    size_t                   msg_len;
    size_t                   msg_size;    /* room at msg */

    ngx_csq_ws_out_t        *out;         /* the send queue, malloc */
    ngx_csq_ws_out_t        *out_last;
    size_t                   queued;

    unsigned                 ping_sent:1;
    unsigned                 close_sent:1;
    unsigned                 lingering:1;
    unsigned                 peer_closed:1;   /* its close frame came */
    unsigned                 failed:1;    /* finish at the next event */
    unsigned                 paused:1;    /* the owner reads no more now */
    unsigned                 reading:1;
    unsigned                 finished:1;
};


/* NGX_OK, or the HTTP status to refuse the handshake with (400, 426) */
ngx_int_t ngx_csq_ws_check(ngx_http_request_t *r, char **why);

/*
 * Answers 101, frees the HTTP request and keeps its connection as a
 * WebSocket; bytes the client sent after the handshake are kept.  The
 * caller sets the handlers and data of the result right away.  On NULL
 * the request is gone too.
 */
ngx_csq_ws_t *ngx_csq_ws_accept(ngx_http_request_t *r,
    ngx_csq_ws_conf_t *conf);

/* starts reading (call once the handlers are set) */
void ngx_csq_ws_start(ngx_csq_ws_t *ws);

/*
 * Queues a text frame.  Never closes synchronously: a full queue (slow
 * reader) or a broken socket ends the connection from its own event.
 */
ngx_int_t ngx_csq_ws_send(ngx_csq_ws_t *ws, u_char *data, size_t len);

/* the room left in the send queue, in bytes */
size_t ngx_csq_ws_room(ngx_csq_ws_t *ws);

/* the close handshake: the socket ends when it is done */
void ngx_csq_ws_close(ngx_csq_ws_t *ws, ngx_uint_t code, char *reason);

/* the owner can take messages again after a pause */
void ngx_csq_ws_resume(ngx_csq_ws_t *ws);


#endif /* _NGX_CSQ_WS_H_INCLUDED_ */
