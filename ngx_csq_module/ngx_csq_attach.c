
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Attachments (R5.6): a file or an image posted into a conversation, kept
 * in Redis beside it so that any worker of any nginx node serves it, and
 * served back with headers that keep it passive.  The upload's body comes
 * through nginx's own request-body reading, unbuffered: each part is
 * copied into one buffer the size of its Content-Length (at most
 * csq_attachment_max_size), so nothing goes to a temp file and the
 * location's body buffer stays small.  The bytes a worker holds for
 * uploads at once are bounded by csq_attachment_inflight (503 busy over
 * it).  The Redis functions (attach_put.lua, attach_get.lua) check who
 * may attach or read, the bounds, and what the bytes are.
 */


#include "ngx_csq_attach.h"
#include "ngx_csq_call.h"
#include "ngx_csq_json.h"


typedef struct {
    ngx_csq_fcall_t    *call;
    u_char             *buf;
    size_t              len;        /* the Content-Length */
    size_t              got;
} ngx_csq_attach_t;


static void ngx_csq_attach_body(ngx_http_request_t *r);
static void ngx_csq_attach_more(ngx_http_request_t *r);
static ngx_int_t ngx_csq_attach_take(ngx_http_request_t *r,
    ngx_csq_attach_t *at);
static ngx_int_t ngx_csq_attach_store(ngx_http_request_t *r,
    ngx_csq_attach_t *at);
static void ngx_csq_attach_release(void *data);
static ngx_int_t ngx_csq_attach_reply(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_attach_disposition(ngx_http_request_t *r,
    ngx_str_t *kind, ngx_str_t *name, ngx_str_t *out);


/* the bytes this worker holds for uploads being read or stored */
static size_t  ngx_csq_attach_inflight;


ngx_int_t
ngx_csq_attach_upload(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    off_t                 len;
    ngx_int_t             rc;
    ngx_csq_ctx_t        *ctx;
    ngx_pool_cleanup_t   *cln;
    ngx_csq_attach_t     *at;
    ngx_csq_loc_conf_t   *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);
    len = r->headers_in.content_length_n;

    if (len <= 0 || len > (off_t) clcf->attach_max
        || len + ngx_csq_attach_inflight > clcf->attach_inflight)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (len < 0) {
            return ngx_csq_json_error(r, NGX_HTTP_LENGTH_REQUIRED,
                                      "length_required",
                                      "an upload needs a Content-Length");
        }

        if (len == 0) {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field", "file: is empty");
        }

        if (len > (off_t) clcf->attach_max) {
            return ngx_csq_json_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "body_too_large", "the file is over "
                                      "csq_attachment_max_size");
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "csq: csq_attachment_inflight reached, "
                      "an upload of %O bytes refused", len);

        return ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, "busy",
                                  "too many uploads at once: try again");
    }

    ctx = ngx_csq_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    at = ngx_pcalloc(r->pool, sizeof(ngx_csq_attach_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (at == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    at->buf = ngx_pnalloc(r->pool, (size_t) len);
    if (at->buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    at->call = a;
    at->len = (size_t) len;
    ctx->data = at;

    ngx_csq_attach_inflight += at->len;
    cln->handler = ngx_csq_attach_release;
    cln->data = at;

    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r, ngx_csq_attach_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_csq_attach_release(void *data)
{
    ngx_csq_attach_t  *at = data;

    ngx_csq_attach_inflight -= at->len;
}


/* the first part of the body is there, or all of it */

static void
ngx_csq_attach_body(ngx_http_request_t *r)
{
    ngx_int_t          rc;
    ngx_csq_ctx_t     *ctx;
    ngx_csq_attach_t  *at;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    at = ctx->data;

    rc = ngx_csq_attach_take(r, at);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (r->reading_body) {
        r->read_event_handler = ngx_csq_attach_more;
        ngx_csq_attach_more(r);
        return;
    }

    ngx_http_finalize_request(r, ngx_csq_attach_store(r, at));
}


/* more of the body: read and taken until the socket has no more now */

static void
ngx_csq_attach_more(ngx_http_request_t *r)
{
    size_t             before;
    ngx_int_t          rc;
    ngx_csq_ctx_t     *ctx;
    ngx_csq_attach_t  *at;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    at = ctx->data;

    for ( ;; ) {
        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE || rc == NGX_ERROR) {
            ngx_http_finalize_request(r, rc);
            return;
        }

        before = at->got;

        if (ngx_csq_attach_take(r, at) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (rc == NGX_OK) {
            r->read_event_handler = ngx_http_block_reading;
            ngx_http_finalize_request(r, ngx_csq_attach_store(r, at));
            return;
        }

        if (at->got == before) {
            return;     /* NGX_AGAIN: the next read event goes on */
        }
    }
}


/* the body's parts so far into the buffer; they are free again */

static ngx_int_t
ngx_csq_attach_take(ngx_http_request_t *r, ngx_csq_attach_t *at)
{
    size_t        n;
    ngx_chain_t  *cl;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        n = cl->buf->last - cl->buf->pos;

        if (cl->buf->in_file || n > at->len - at->got) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "csq: an upload's body is not as announced");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(at->buf + at->got, cl->buf->pos, n);
        at->got += n;
        cl->buf->pos = cl->buf->last;
    }

    r->request_body->bufs = NULL;

    return NGX_OK;
}


/* the whole file is here: the function stores it with its name and type */

static ngx_int_t
ngx_csq_attach_store(ngx_http_request_t *r, ngx_csq_attach_t *at)
{
    size_t                len;
    u_char               *dst, *src;
    yajl_gen              g;
    ngx_str_t             name, type;
    const unsigned char  *buf;

    if (at->got != at->len) {
        return NGX_HTTP_BAD_REQUEST;
    }

    ngx_str_null(&name);

    if (ngx_http_arg(r, (u_char *) "name", 4, &name) == NGX_OK) {
        dst = ngx_pnalloc(r->pool, name.len);
        if (dst == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        src = name.data;
        name.data = dst;
        ngx_unescape_uri(&dst, &src, name.len, NGX_UNESCAPE_URI);
        name.len = dst - name.data;
    }

    ngx_str_null(&type);

    if (r->headers_in.content_type) {
        type = r->headers_in.content_type->value;
    }

    /* what is not UTF-8 is not given: the function names it "file" */

    if (ngx_csq_json_utf8(&name) != NGX_OK) {
        name.len = 0;
    }

    if (ngx_csq_json_utf8(&type) != NGX_OK) {
        type.len = 0;
    }

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "name");
    ngx_csq_json_gen_str(g, &name);
    ngx_csq_json_gen_cstr(g, "type");
    ngx_csq_json_gen_str(g, &type);
    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    at->call->body.data = (u_char *) buf;
    at->call->body.len = len;
    at->call->extra.data = at->buf;
    at->call->extra.len = at->len;

    return ngx_csq_call(r, at->call, NULL);
}


ngx_int_t
ngx_csq_attach_get(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_csq_call(r, a, ngx_csq_attach_reply);
}


/*
 * { 200, type, name, "inline" | "attachment", bytes }: the bytes, with
 * headers that keep them passive wherever they are opened
 */

static ngx_int_t
ngx_csq_attach_reply(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_int_t    rc;
    ngx_str_t    json, f[4], v;
    ngx_uint_t   i;
    redisReply  *e;

    static ngx_str_t  octets = ngx_string("application/octet-stream");
    static ngx_str_t  nosniff = ngx_string("nosniff");
    static ngx_str_t  csp = ngx_string("default-src 'none'; sandbox");
    static ngx_str_t  cache = ngx_string("private, max-age=86400");
    static ngx_str_t  corp = ngx_string("same-origin");

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_OK, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (reply->elements != 5) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 1; i < 5; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_STRING) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* type, name, "inline" | "attachment", the bytes */

        f[i - 1].len = e->len;
        f[i - 1].data = ngx_pnalloc(r->pool, e->len + 1);
        if (f[i - 1].data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(f[i - 1].data, e->str, e->len);
    }

    if (ngx_csq_attach_disposition(r, &f[2], &f[1], &v) != NGX_OK
        || ngx_csq_add_header(r, "Content-Disposition", &v) != NGX_OK
        || ngx_csq_add_header(r, "X-Content-Type-Options", &nosniff)
           != NGX_OK
        || ngx_csq_add_header(r, "Content-Security-Policy", &csp) != NGX_OK
        || ngx_csq_add_header(r, "Cross-Origin-Resource-Policy", &corp)
           != NGX_OK
        || ngx_csq_add_header(r, "Cache-Control", &cache) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_send_body(r, NGX_HTTP_OK, f[0].len ? &f[0] : &octets,
                             &f[3]);
}


/*
 * Content-Disposition: <kind>; filename="<the name in ASCII, others as
 * _>"; filename*=UTF-8''<the name, percent-encoded> (RFC 6266)
 */

static ngx_int_t
ngx_csq_attach_disposition(ngx_http_request_t *r, ngx_str_t *kind,
    ngx_str_t *name, ngx_str_t *out)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = kind->len + sizeof("; filename=\"\"; filename*=UTF-8''") - 1
          + name->len + 3 * name->len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    p = ngx_cpymem(p, kind->data, kind->len);
    p = ngx_cpymem(p, "; filename=\"", sizeof("; filename=\"") - 1);

    for (i = 0; i < name->len; i++) {

        /* one _ a character: the bytes that go on one are left out */

        if (name->data[i] >= 0x80 && name->data[i] < 0xc0) {
            continue;
        }

        *p++ = (name->data[i] >= 0x20 && name->data[i] < 0x7f
                && name->data[i] != '"' && name->data[i] != '\\')
               ? name->data[i] : '_';
    }

    p = ngx_cpymem(p, "\"; filename*=UTF-8''",
                   sizeof("\"; filename*=UTF-8''") - 1);
    p = (u_char *) ngx_escape_uri(p, name->data, name->len,
                                  NGX_ESCAPE_URI_COMPONENT);

    out->len = p - out->data;

    return NGX_OK;
}
