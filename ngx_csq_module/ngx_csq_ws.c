
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The WebSocket server side (RFC 6455) on an nginx connection: handshake
 * checks, the 101 answer and the takeover of the connection from its HTTP
 * request (which is freed, so an idle socket costs little), reading and
 * strict parsing (ngx_csq_ws_frame.c), a bounded send queue whose small
 * frames go out together, ping/pong keepalive and the close handshake.
 */


#include <ngx_sha1.h>
#include "ngx_csq_ws.h"
#include "ngx_csq_http.h"


#define NGX_CSQ_WS_GUID     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define NGX_CSQ_WS_READ     16384
#define NGX_CSQ_WS_OUT_MIN  512
#define NGX_CSQ_WS_MSG_MIN  1024
#define NGX_CSQ_WS_LINGER   2000


struct ngx_csq_ws_out_s {
    ngx_csq_ws_out_t        *next;
    u_char                  *data;
    size_t                   len;
    size_t                   size;
    size_t                   sent;
};


static ngx_int_t ngx_csq_ws_has_token(ngx_table_elt_t *h, char *token,
    size_t len);
static ngx_int_t ngx_csq_ws_queue(ngx_csq_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len, ngx_uint_t bounded);
static void ngx_csq_ws_read_handler(ngx_event_t *rev);
static void ngx_csq_ws_write_handler(ngx_event_t *wev);
static void ngx_csq_ws_read(ngx_csq_ws_t *ws);
static void ngx_csq_ws_feed(ngx_csq_ws_t *ws, u_char *p, u_char *last);
static void ngx_csq_ws_data(ngx_csq_ws_t *ws, ngx_csq_ws_frame_t *f);
static void ngx_csq_ws_control(ngx_csq_ws_t *ws, ngx_csq_ws_frame_t *f);
static void ngx_csq_ws_timer(ngx_csq_ws_t *ws);
static void ngx_csq_ws_linger(ngx_csq_ws_t *ws);
static void ngx_csq_ws_finish(ngx_csq_ws_t *ws);


static u_char  ngx_csq_ws_buf[NGX_CSQ_WS_READ];


ngx_int_t
ngx_csq_ws_check(ngx_http_request_t *r, char **why)
{
    ngx_str_t         key, raw;
    ngx_table_elt_t  *h;
    u_char            buf[32];

    if (r->http_version != NGX_HTTP_VERSION_11) {
        *why = "a WebSocket handshake needs HTTP/1.1";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r->method != NGX_HTTP_GET) {
        *why = "a WebSocket handshake is a GET";
        return NGX_HTTP_BAD_REQUEST;
    }

    h = ngx_csq_header_in(r, "Upgrade", sizeof("Upgrade") - 1);

    if (h == NULL || ngx_csq_ws_has_token(h, "websocket", 9) != NGX_OK) {
        *why = "this endpoint is a WebSocket: Upgrade: websocket expected";
        return NGX_CSQ_HTTP_UPGRADE_REQUIRED;
    }

    h = ngx_csq_header_in(r, "Connection", sizeof("Connection") - 1);

    if (h == NULL || ngx_csq_ws_has_token(h, "upgrade", 7) != NGX_OK) {
        *why = "Connection: upgrade expected";
        return NGX_HTTP_BAD_REQUEST;
    }

    h = ngx_csq_header_in(r, "Sec-WebSocket-Version",
                          sizeof("Sec-WebSocket-Version") - 1);

    if (h == NULL || h->value.len != 2
        || ngx_strncmp(h->value.data, "13", 2) != 0)
    {
        *why = "Sec-WebSocket-Version 13 expected";
        return NGX_CSQ_HTTP_UPGRADE_REQUIRED;
    }

    h = ngx_csq_header_in(r, "Sec-WebSocket-Key",
                          sizeof("Sec-WebSocket-Key") - 1);

    if (h == NULL || h->value.len != 24) {
        *why = "Sec-WebSocket-Key must be 16 bytes in base64";
        return NGX_HTTP_BAD_REQUEST;
    }

    key = h->value;
    raw.data = buf;

    if (ngx_decode_base64(&raw, &key) != NGX_OK || raw.len != 16) {
        *why = "Sec-WebSocket-Key must be 16 bytes in base64";
        return NGX_HTTP_BAD_REQUEST;
    }

    return NGX_OK;
}


/* a comma-separated header value holds the token, in any case */

static ngx_int_t
ngx_csq_ws_has_token(ngx_table_elt_t *h, char *token, size_t len)
{
    u_char  *p, *last, *s, *e;

    p = h->value.data;
    last = p + h->value.len;

    while (p < last) {
        s = p;

        while (p < last && *p != ',') {
            p++;
        }

        e = p++;

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        if ((size_t) (e - s) == len
            && ngx_strncasecmp(s, (u_char *) token, len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_csq_ws_t *
ngx_csq_ws_accept(ngx_http_request_t *r, ngx_csq_ws_conf_t *conf)
{
    u_char                    *pre;
    size_t                     pre_len;
    ngx_str_t                  accept, digest;
    ngx_sha1_t                 sha1;
    ngx_chain_t               *cl;
    ngx_csq_ws_t              *ws;
    ngx_table_elt_t           *key;
    ngx_connection_t          *c;
    ngx_http_connection_t     *hc;
    ngx_http_core_loc_conf_t  *clcf;
    u_char                     md[20], acc[32], line[160];

    c = r->connection;
    hc = r->http_connection;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    key = ngx_csq_header_in(r, "Sec-WebSocket-Key",
                            sizeof("Sec-WebSocket-Key") - 1);

    ws = ngx_pcalloc(c->pool, sizeof(ngx_csq_ws_t));

    if (key == NULL || ws == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NULL;
    }

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, key->value.data, key->value.len);
    ngx_sha1_update(&sha1, NGX_CSQ_WS_GUID, sizeof(NGX_CSQ_WS_GUID) - 1);
    ngx_sha1_final(md, &sha1);

    digest.data = md;
    digest.len = sizeof(md);
    accept.data = acc;
    ngx_encode_base64(&accept, &digest);

    ws->connection = c;
    ws->conf = conf;
    ws->parser.max_message = conf->max_message;

    /* the answer goes first in the send queue */

    pre_len = ngx_sprintf(line, "HTTP/1.1 101 Switching Protocols" CRLF
                          "Upgrade: websocket" CRLF
                          "Connection: Upgrade" CRLF
                          "Sec-WebSocket-Accept: %V" CRLF CRLF, &accept)
              - line;

    if (ngx_csq_ws_queue(ws, (ngx_uint_t) -1, line, pre_len, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NULL;
    }

    /* what the client sent after the handshake is already frames */

    pre = NULL;
    pre_len = r->header_in->last - r->header_in->pos;

    if (pre_len) {
        pre = ngx_alloc(pre_len, c->log);
        if (pre == NULL) {
            ngx_free(ws->out);
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return NULL;
        }

        ngx_memcpy(pre, r->header_in->pos, pre_len);
    }

    if (clcf->tcp_nodelay) {
        (void) ngx_tcp_nodelay(c);
    }

    /* the request ends here (it is logged with 101); the connection stays */

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    r->keepalive = 0;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ngx_http_free_request(r, 0);

    c->destroyed = 0;
    c->data = ws;
    c->log->action = "serving a WebSocket";
    c->read->handler = ngx_csq_ws_read_handler;
    c->write->handler = ngx_csq_ws_write_handler;
    c->idle = 1;         /* a graceful shutdown closes it (1001) */

    /* header buffers are not needed any more */

    if (c->buffer) {
        (void) ngx_pfree(c->pool, c->buffer->start);
        c->buffer = NULL;
    }

    for (cl = hc->busy; cl; cl = cl->next) {
        (void) ngx_pfree(c->pool, cl->buf->start);
    }

    for (cl = hc->free; cl; cl = cl->next) {
        (void) ngx_pfree(c->pool, cl->buf->start);
    }

    hc->busy = NULL;
    hc->free = NULL;
    hc->nbusy = 0;

    ws->pre = pre;
    ws->pre_len = pre_len;

    return ws;
}


void
ngx_csq_ws_start(ngx_csq_ws_t *ws)
{
    u_char            *pre;
    ngx_connection_t  *c;

    c = ws->connection;

    ngx_add_timer(c->read, ws->conf->ping);

    if (ws->pre) {

        /* the bytes read with the handshake, as if just received */

        pre = ws->pre;
        ws->pre = NULL;
        ws->reading = 1;

        ngx_csq_ws_feed(ws, pre, pre + ws->pre_len);

        ngx_free(pre);
        ws->reading = 0;
    }

    ngx_post_event(c->write, &ngx_posted_events);

    if (!ws->paused) {
        ngx_post_event(c->read, &ngx_posted_events);
    }
}


ngx_int_t
ngx_csq_ws_send(ngx_csq_ws_t *ws, u_char *data, size_t len)
{
    if (ws->close_sent || ws->failed || ws->finished) {
        return NGX_DECLINED;
    }

    return ngx_csq_ws_queue(ws, NGX_CSQ_WS_TEXT, data, len, 1);
}


size_t
ngx_csq_ws_room(ngx_csq_ws_t *ws)
{
    return ws->queued < ws->conf->send_queue
           ? ws->conf->send_queue - ws->queued : 0;
}


void
ngx_csq_ws_close(ngx_csq_ws_t *ws, ngx_uint_t code, char *reason)
{
    size_t  len;
    u_char  buf[NGX_CSQ_WS_CONTROL_MAX];

    if (ws->close_sent || ws->finished) {
        return;
    }

    buf[0] = (u_char) (code >> 8);
    buf[1] = (u_char) (code & 0xff);
    len = 2;

    if (reason) {
        len += ngx_cpystrn(buf + 2, (u_char *) reason,
                           NGX_CSQ_WS_CONTROL_MAX - 2) - (buf + 2);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                   "csq ws: close %ui", code);

    if (ngx_csq_ws_queue(ws, NGX_CSQ_WS_CLOSE, buf, len, 0) != NGX_OK) {
        ws->failed = 1;
    }

    ws->close_sent = 1;

    if (!ws->connection->write->posted) {
        ngx_post_event(ws->connection->write, &ngx_posted_events);
    }
}


void
ngx_csq_ws_resume(ngx_csq_ws_t *ws)
{
    ngx_connection_t  *c;

    if (!ws->paused || ws->finished) {
        return;
    }

    ws->paused = 0;
    c = ws->connection;

    if (!c->read->posted) {
        ngx_post_event(c->read, &ngx_posted_events);
    }
}


/*
 * A frame at the end of the send queue; small frames share a buffer so
 * that one write sends them all.  opcode -1 queues raw bytes.
 */

static ngx_int_t
ngx_csq_ws_queue(ngx_csq_ws_t *ws, ngx_uint_t opcode, u_char *data,
    size_t len, ngx_uint_t bounded)
{
    u_char            *p;
    size_t             need, size;
    ngx_csq_ws_out_t  *out;
    ngx_connection_t  *c;

    c = ws->connection;

    need = len + 10;

    if (bounded && ws->queued + need > ws->conf->send_queue) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "csq: websocket client reads too slowly: %uz bytes "
                      "queued, closing", ws->queued);
        ws->failed = 1;

        if (!c->write->posted) {
            ngx_post_event(c->write, &ngx_posted_events);
        }

        return NGX_ERROR;
    }

    out = ws->out_last;

    if (out == NULL || out->size - out->len < need) {
        size = ngx_max(need, NGX_CSQ_WS_OUT_MIN);

        out = ngx_alloc(sizeof(ngx_csq_ws_out_t) + size, c->log);
        if (out == NULL) {
            ws->failed = 1;
            return NGX_ERROR;
        }

        out->next = NULL;
        out->data = (u_char *) (out + 1);
        out->len = 0;
        out->size = size;
        out->sent = 0;

        if (ws->out_last) {
            ws->out_last->next = out;

        } else {
            ws->out = out;
        }

        ws->out_last = out;
    }

    p = out->data + out->len;

    if (opcode != (ngx_uint_t) -1) {
        *p++ = (u_char) (0x80 | opcode);

        if (len < 126) {
            *p++ = (u_char) len;

        } else if (len < 65536) {
            *p++ = 126;
            *p++ = (u_char) (len >> 8);
            *p++ = (u_char) len;

        } else {
            *p++ = 127;
            *p++ = 0;
            *p++ = 0;
            *p++ = 0;
            *p++ = 0;
            *p++ = (u_char) (len >> 24);
            *p++ = (u_char) (len >> 16);
            *p++ = (u_char) (len >> 8);
            *p++ = (u_char) len;
        }
    }

    p = ngx_cpymem(p, data, len);

    ws->queued += p - (out->data + out->len);
    out->len = p - out->data;

    if (c->write->ready && !c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


static void
ngx_csq_ws_read_handler(ngx_event_t *rev)
{
    ngx_csq_ws_t      *ws;
    ngx_connection_t  *c;

    c = rev->data;
    ws = c->data;

    if (rev->timedout) {
        rev->timedout = 0;
        ngx_csq_ws_timer(ws);

    } else if (c->close && !ws->close_sent) {
        ngx_csq_ws_close(ws, NGX_CSQ_WS_GOING_AWAY, "server shutting down");

    } else if (ws->lingering) {
        ngx_csq_ws_linger(ws);

    } else {
        ngx_csq_ws_read(ws);
    }

    if (ws->failed && !ws->finished) {
        ngx_csq_ws_finish(ws);
    }
}


static void
ngx_csq_ws_read(ngx_csq_ws_t *ws)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = ws->connection;

    ws->reading = 1;

    while (!ws->paused && !ws->close_sent && !ws->failed) {

        n = c->recv(c, ngx_csq_ws_buf, NGX_CSQ_WS_READ);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "csq ws: the client went away");
            ws->failed = 1;
            break;
        }

        ws->ping_sent = 0;

        /* a whole read is parsed even if the owner pauses meanwhile */

        ngx_csq_ws_feed(ws, ngx_csq_ws_buf, ngx_csq_ws_buf + n);
    }

    ws->reading = 0;

    if (!ws->failed && ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ws->failed = 1;
    }
}


/* parses bytes received and acts on what they hold */

static void
ngx_csq_ws_feed(ngx_csq_ws_t *ws, u_char *p, u_char *last)
{
    ngx_int_t           rc;
    ngx_csq_ws_frame_t  f;

    while (p < last && !ws->close_sent) {
        rc = ngx_csq_ws_parse(&ws->parser, &p, last, &f);

        if (rc == NGX_AGAIN) {
            return;
        }

        if (rc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                          "csq: websocket protocol error, closing with %ui",
                          ws->parser.close_code);
            ngx_csq_ws_close(ws, ws->parser.close_code, NULL);
            return;
        }

        if (rc == NGX_CSQ_WS_DATA) {
            ngx_csq_ws_data(ws, &f);

        } else {
            ngx_csq_ws_control(ws, &f);
        }
    }
}


static void
ngx_csq_ws_data(ngx_csq_ws_t *ws, ngx_csq_ws_frame_t *f)
{
    u_char  *p;
    size_t   size;

    if (f->opcode != NGX_CSQ_WS_TEXT) {
        ngx_csq_ws_close(ws, NGX_CSQ_WS_UNSUPPORTED,
                         "only text messages are taken");
        return;
    }

    if (f->last && ws->msg == NULL) {
        ws->on_message(ws, f->data, f->len);
        return;
    }

    if (f->len) {

        /*
         * the room doubles (up to the largest message) so that many small
         * fragments cost linear time, not a copy of all so far each
         */

        if (ws->msg_len + f->len > ws->msg_size) {
            size = ngx_max(ws->msg_size * 2, NGX_CSQ_WS_MSG_MIN);
            size = ngx_min(size, ws->parser.max_message);
            size = ngx_max(size, ws->msg_len + f->len);

            p = ngx_alloc(size, ws->connection->log);
            if (p == NULL) {
                ws->failed = 1;
                return;
            }

            if (ws->msg) {
                ngx_memcpy(p, ws->msg, ws->msg_len);
                ngx_free(ws->msg);
            }

            ws->msg = p;
            ws->msg_size = size;
        }

        ngx_memcpy(ws->msg + ws->msg_len, f->data, f->len);
        ws->msg_len += f->len;

    } else if (ws->msg == NULL && !f->last) {
        return;     /* an empty first fragment */
    }

    if (!f->last) {
        return;
    }

    p = ws->msg;
    ws->msg = NULL;

    ws->on_message(ws, p, ws->msg_len);

    ws->msg_len = 0;
    ws->msg_size = 0;
    ngx_free(p);
}


static void
ngx_csq_ws_control(ngx_csq_ws_t *ws, ngx_csq_ws_frame_t *f)
{
    switch (f->opcode) {

    case NGX_CSQ_WS_PING:
        if (ngx_csq_ws_queue(ws, NGX_CSQ_WS_PONG, f->data, f->len, 1)
            != NGX_OK)
        {
            ws->failed = 1;
        }

        return;

    case NGX_CSQ_WS_PONG:
        return;

    default: /* NGX_CSQ_WS_CLOSE */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                       "csq ws: the client closes, %uz bytes", f->len);

        if (ws->close_sent) {
            ws->failed = 1;     /* our close is answered: done */
            return;
        }

        /* echo the code; the socket ends when the echo is out */

        if (ngx_csq_ws_queue(ws, NGX_CSQ_WS_CLOSE, f->data,
                             f->len >= 2 ? 2 : 0, 0)
            != NGX_OK)
        {
            ws->failed = 1;
        }

        ws->close_sent = 1;
        ws->peer_closed = 1;    /* nothing more is expected from it */
        ws->lingering = 1;
    }
}


static void
ngx_csq_ws_write_handler(ngx_event_t *wev)
{
    ssize_t            n;
    ngx_csq_ws_t      *ws;
    ngx_csq_ws_out_t  *out;
    ngx_connection_t  *c;

    c = wev->data;
    ws = c->data;

    if (ws->failed) {
        ngx_csq_ws_finish(ws);
        return;
    }

    while (ws->out) {
        out = ws->out;

        n = c->send(c, out->data + out->sent, out->len - out->sent);

        if (n == NGX_ERROR) {
            ngx_csq_ws_finish(ws);
            return;
        }

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_csq_ws_finish(ws);
            }

            return;
        }

        out->sent += n;

        if (out->sent < out->len) {
            continue;
        }

        ws->queued -= out->len;
        ws->out = out->next;

        if (ws->out == NULL) {
            ws->out_last = NULL;
        }

        ngx_free(out);
    }

    if (!ws->close_sent) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_csq_ws_finish(ws);
            return;
        }

        if (ws->on_drain) {
            ws->on_drain(ws);
        }

        return;
    }

    /* the close frame is out */

    if (ws->peer_closed) {

        /* the client closed first: it sends nothing more */

        ngx_csq_ws_finish(ws);
        return;
    }

    if (ws->lingering) {
        return;     /* reading until the client's close or FIN */
    }

    /*
     * we closed first: stop sending and read until the client's close or
     * its FIN, so that unread bytes do not reset the connection before
     * the close frame arrives
     */

    ws->lingering = 1;

    if (c->ssl == NULL && shutdown(c->fd, SHUT_WR) == -1) {
        ngx_csq_ws_finish(ws);
        return;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ngx_add_timer(c->read, NGX_CSQ_WS_LINGER);

    ngx_csq_ws_linger(ws);

    if (ws->failed && !ws->finished) {
        ngx_csq_ws_finish(ws);
    }
}


static void
ngx_csq_ws_linger(ngx_csq_ws_t *ws)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = ws->connection;

    if (ws->out) {
        return;     /* the echo of a client's close is still going out */
    }

    for ( ;; ) {
        n = c->recv(c, ngx_csq_ws_buf, NGX_CSQ_WS_READ);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                ws->failed = 1;
            }

            return;
        }

        if (n == 0 || n == NGX_ERROR) {
            ws->failed = 1;
            return;
        }
    }
}


static void
ngx_csq_ws_timer(ngx_csq_ws_t *ws)
{
    ngx_connection_t  *c;

    c = ws->connection;

    if (ws->lingering || ws->close_sent) {
        ws->failed = 1;
        return;
    }

    if (ws->ping_sent) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "csq: websocket client silent for two ping "
                      "intervals, closing");
        ws->failed = 1;
        return;
    }

    if (ngx_csq_ws_queue(ws, NGX_CSQ_WS_PING, NULL, 0, 1) != NGX_OK) {
        return;
    }

    ws->ping_sent = 1;

    if (ws->on_ping) {
        ws->on_ping(ws);
    }

    ngx_add_timer(c->read, ws->conf->ping);
}


static void
ngx_csq_ws_finish(ngx_csq_ws_t *ws)
{
    ngx_csq_ws_out_t  *out, *next;

    if (ws->finished) {
        return;
    }

    ws->finished = 1;

    if (ws->on_close) {
        ws->on_close(ws);
    }

    if (ws->msg) {
        ngx_free(ws->msg);
        ws->msg = NULL;
    }

    if (ws->pre) {
        ngx_free(ws->pre);
        ws->pre = NULL;
    }

    for (out = ws->out; out; out = next) {
        next = out->next;
        ngx_free(out);
    }

    ws->out = NULL;
    ws->out_last = NULL;

    ngx_http_close_connection(ws->connection);
}
