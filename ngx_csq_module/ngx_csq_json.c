
/*
 * Copyright (C) ngx_csq_module authors
 *
 * JSON in and out: request bodies read with nginx's body reader, limited
 * by csq_max_body and parsed by yajl's event parser into a tree in the
 * request pool (with depth and size limits); responses written by yajl_gen
 * into the request pool; the one error shape of every csq endpoint.
 */


#include "ngx_csq_json.h"
#include <yajl/yajl_parse.h>


typedef struct {
    ngx_pool_t       *pool;
    ngx_csq_json_t   *root;
    ngx_csq_json_t   *cur;       /* the open object or array */
    ngx_str_t         key;       /* the member name just read */
    ngx_uint_t        depth;
    ngx_uint_t        nodes;
    char             *err;
} ngx_csq_json_parser_t;


static void ngx_csq_json_body_read(ngx_http_request_t *r);
static void *ngx_csq_json_malloc(void *ctx, size_t size);
static void *ngx_csq_json_realloc(void *ctx, void *ptr, size_t size);
static void ngx_csq_json_free(void *ctx, void *ptr);
static ngx_csq_json_t *ngx_csq_json_add(ngx_csq_json_parser_t *p,
    ngx_uint_t type);
static int ngx_csq_json_on_null(void *ctx);
static int ngx_csq_json_on_boolean(void *ctx, int b);
static int ngx_csq_json_on_number(void *ctx, const char *s, size_t len);
static int ngx_csq_json_on_string(void *ctx, const unsigned char *s,
    size_t len);
static int ngx_csq_json_on_start_map(void *ctx);
static int ngx_csq_json_on_map_key(void *ctx, const unsigned char *s,
    size_t len);
static int ngx_csq_json_on_end(void *ctx);
static int ngx_csq_json_on_start_array(void *ctx);
static int ngx_csq_json_open(ngx_csq_json_parser_t *p, ngx_uint_t type);


static yajl_callbacks  ngx_csq_json_callbacks = {
    ngx_csq_json_on_null,
    ngx_csq_json_on_boolean,
    NULL,
    NULL,
    ngx_csq_json_on_number,
    ngx_csq_json_on_string,
    ngx_csq_json_on_start_map,
    ngx_csq_json_on_map_key,
    ngx_csq_json_on_end,
    ngx_csq_json_on_start_array,
    ngx_csq_json_on_end
};


ngx_int_t
ngx_csq_json_read_body(ngx_http_request_t *r, ngx_csq_json_body_pt handler)
{
    ngx_int_t            rc;
    ngx_csq_ctx_t       *ctx;
    ngx_csq_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    if (r->headers_in.content_length_n > (off_t) clcf->max_body) {

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_csq_json_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                  "body_too_large",
                                  "request body is over csq_max_body");
    }

    ctx = ngx_csq_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body_handler = handler;

    rc = ngx_http_read_client_request_body(r, ngx_csq_json_body_read);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_csq_json_body_read(ngx_http_request_t *r)
{
    off_t                 size;
    ngx_int_t             rc;
    ngx_str_t             err;
    ngx_chain_t          *cl;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_json_t       *root;
    ngx_csq_loc_conf_t   *clcf;
    ngx_http_request_body_t  *rb;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    rb = r->request_body;

    size = 0;

    if (rb && rb->bufs) {
        for (cl = rb->bufs; cl; cl = cl->next) {
            size += ngx_buf_size(cl->buf);
        }
    }

    /* the body buffer holds csq_max_body: a temp file means more (chunked) */

    if ((rb && rb->temp_file) || size > (off_t) clcf->max_body) {
        rc = ngx_csq_json_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "body_too_large",
                                "request body is over csq_max_body");
        goto done;
    }

    if (size == 0) {
        rc = ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_json",
                                "request body is empty");
        goto done;
    }

    if (ngx_csq_json_parse(r->pool, rb->bufs, &root, &err) != NGX_OK) {
        if (err.len == 0) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        rc = ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_json",
                                (char *) err.data);
        goto done;
    }

    rc = ctx->body_handler(r, root);

done:

    ngx_http_finalize_request(r, rc);
}


/*
 * Parses a chain of memory buffers.  NGX_DECLINED with a message in err
 * for bad JSON, NGX_ERROR with an empty err when out of memory.
 */

ngx_int_t
ngx_csq_json_parse(ngx_pool_t *pool, ngx_chain_t *in, ngx_csq_json_t **root,
    ngx_str_t *err)
{
    u_char                 *msg;
    ngx_int_t               rc;
    yajl_handle             h;
    yajl_status             st;
    ngx_chain_t            *cl;
    yajl_alloc_funcs        af;
    ngx_csq_json_parser_t   p;

    ngx_memzero(&p, sizeof(ngx_csq_json_parser_t));
    p.pool = pool;

    af.malloc = ngx_csq_json_malloc;
    af.realloc = ngx_csq_json_realloc;
    af.free = ngx_csq_json_free;
    af.ctx = pool;

    err->len = 0;
    err->data = NULL;

    h = yajl_alloc(&ngx_csq_json_callbacks, &af, &p);
    if (h == NULL) {
        return NGX_ERROR;
    }

    st = yajl_status_ok;

    for (cl = in; cl && st == yajl_status_ok; cl = cl->next) {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        st = yajl_parse(h, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    rc = NGX_OK;

    if (st == yajl_status_client_canceled) {
        rc = p.err ? NGX_DECLINED : NGX_ERROR;

        if (p.err) {
            err->data = (u_char *) p.err;
            err->len = ngx_strlen(p.err);
        }

    } else if (st != yajl_status_ok) {
        rc = NGX_DECLINED;

        msg = yajl_get_error(h, 0, NULL, 0);

        if (msg) {
            err->len = ngx_strlen(msg);

            /* "lexical error: invalid char in json text.\n" */

            while (err->len && (msg[err->len - 1] == LF
                                || msg[err->len - 1] == '.'))
            {
                err->len--;
            }

            msg[err->len] = '\0';
            err->data = msg;

        } else {
            rc = NGX_ERROR;
        }
    }

    yajl_free(h);

    *root = p.root;

    return rc;
}


ngx_int_t
ngx_csq_json_parse_text(ngx_pool_t *pool, ngx_str_t *text,
    ngx_csq_json_t **root)
{
    ngx_buf_t     b;
    ngx_str_t     err;
    ngx_chain_t   in;

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = text->data;
    b.last = text->data + text->len;
    b.memory = 1;
    b.last_buf = 1;
    in.buf = &b;
    in.next = NULL;

    return ngx_csq_json_parse(pool, &in, root, &err);
}


ngx_csq_json_t *
ngx_csq_json_get(ngx_csq_json_t *obj, char *key)
{
    size_t           len;
    ngx_csq_json_t  *v;

    if (obj == NULL || obj->type != NGX_CSQ_JSON_OBJECT) {
        return NULL;
    }

    len = ngx_strlen(key);

    /* the last one wins for a duplicated member, as in most parsers */

    v = NULL;

    for (obj = obj->first; obj; obj = obj->next) {
        if (obj->key.len == len && ngx_strncmp(obj->key.data, key, len) == 0)
        {
            v = obj;
        }
    }

    return v;
}


/* yajl's allocations in a pool; realloc needs each block's size */

static void *
ngx_csq_json_malloc(void *ctx, size_t size)
{
    size_t  *p;

    p = ngx_palloc(ctx, sizeof(size_t) + size);
    if (p == NULL) {
        return NULL;
    }

    *p = size;

    return p + 1;
}


static void *
ngx_csq_json_realloc(void *ctx, void *ptr, size_t size)
{
    void    *n;
    size_t   old;

    if (ptr == NULL) {
        return ngx_csq_json_malloc(ctx, size);
    }

    old = ((size_t *) ptr)[-1];

    if (size <= old) {
        return ptr;
    }

    n = ngx_csq_json_malloc(ctx, size);
    if (n == NULL) {
        return NULL;
    }

    ngx_memcpy(n, ptr, old);
    ngx_csq_json_free(ctx, ptr);

    return n;
}


static void
ngx_csq_json_free(void *ctx, void *ptr)
{
    if (ptr) {
        /* gives back large blocks; small ones go with the pool */
        (void) ngx_pfree(ctx, (size_t *) ptr - 1);
    }
}


static ngx_csq_json_t *
ngx_csq_json_add(ngx_csq_json_parser_t *p, ngx_uint_t type)
{
    ngx_csq_json_t  *v;

    if (++p->nodes > NGX_CSQ_JSON_MAX_NODES) {
        p->err = "too many values in the document";
        return NULL;
    }

    v = ngx_pcalloc(p->pool, sizeof(ngx_csq_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = type;
    v->parent = p->cur;

    if (p->cur == NULL) {
        p->root = v;
        return v;
    }

    if (p->cur->type == NGX_CSQ_JSON_OBJECT) {
        v->key = p->key;
    }

    if (p->cur->last) {
        p->cur->last->next = v;

    } else {
        p->cur->first = v;
    }

    p->cur->last = v;
    p->cur->n++;

    return v;
}


static int
ngx_csq_json_on_null(void *ctx)
{
    return ngx_csq_json_add(ctx, NGX_CSQ_JSON_NULL) != NULL;
}


static int
ngx_csq_json_on_boolean(void *ctx, int b)
{
    return ngx_csq_json_add(ctx, b ? NGX_CSQ_JSON_TRUE : NGX_CSQ_JSON_FALSE)
           != NULL;
}


static int
ngx_csq_json_on_number(void *ctx, const char *s, size_t len)
{
    ngx_csq_json_t         *v;
    ngx_csq_json_parser_t  *p = ctx;

    v = ngx_csq_json_add(p, NGX_CSQ_JSON_NUMBER);
    if (v == NULL) {
        return 0;
    }

    v->value.len = len;
    v->value.data = (u_char *) s;

    v->value.data = ngx_pstrdup(p->pool, &v->value);
    if (v->value.data == NULL) {
        return 0;
    }

    return 1;
}


static int
ngx_csq_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
    ngx_csq_json_t         *v;
    ngx_csq_json_parser_t  *p = ctx;

    v = ngx_csq_json_add(p, NGX_CSQ_JSON_STRING);
    if (v == NULL) {
        return 0;
    }

    /* yajl's text is only valid during the callback */

    v->value.data = ngx_pnalloc(p->pool, len + 1);
    if (v->value.data == NULL) {
        return 0;
    }

    ngx_memcpy(v->value.data, s, len);
    v->value.data[len] = '\0';
    v->value.len = len;

    return 1;
}


static int
ngx_csq_json_on_start_map(void *ctx)
{
    return ngx_csq_json_open(ctx, NGX_CSQ_JSON_OBJECT);
}


static int
ngx_csq_json_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    ngx_csq_json_parser_t  *p = ctx;

    p->key.data = ngx_pnalloc(p->pool, len + 1);
    if (p->key.data == NULL) {
        return 0;
    }

    ngx_memcpy(p->key.data, s, len);
    p->key.data[len] = '\0';
    p->key.len = len;

    return 1;
}


static int
ngx_csq_json_on_end(void *ctx)
{
    ngx_csq_json_parser_t  *p = ctx;

    p->depth--;
    p->cur = p->cur->parent;

    return 1;
}


static int
ngx_csq_json_on_start_array(void *ctx)
{
    return ngx_csq_json_open(ctx, NGX_CSQ_JSON_ARRAY);
}


/* an object or an array begins: it holds what follows until its end */

static int
ngx_csq_json_open(ngx_csq_json_parser_t *p, ngx_uint_t type)
{
    ngx_csq_json_t  *v;

    if (++p->depth > NGX_CSQ_JSON_MAX_DEPTH) {
        p->err = "document nested too deeply";
        return 0;
    }

    v = ngx_csq_json_add(p, type);
    if (v == NULL) {
        return 0;
    }

    p->cur = v;

    return 1;
}


yajl_gen
ngx_csq_json_gen(ngx_http_request_t *r)
{
    yajl_gen          g;
    yajl_alloc_funcs  af;

    af.malloc = ngx_csq_json_malloc;
    af.realloc = ngx_csq_json_realloc;
    af.free = ngx_csq_json_free;
    af.ctx = r->pool;

    g = yajl_gen_alloc(&af);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    return g;
}


void
ngx_csq_json_gen_value(yajl_gen g, ngx_csq_json_t *v)
{
    ngx_csq_json_t  *e;

    switch (v->type) {

    case NGX_CSQ_JSON_NULL:
        (void) yajl_gen_null(g);
        break;

    case NGX_CSQ_JSON_FALSE:
    case NGX_CSQ_JSON_TRUE:
        (void) yajl_gen_bool(g, v->type == NGX_CSQ_JSON_TRUE);
        break;

    case NGX_CSQ_JSON_NUMBER:
        (void) yajl_gen_number(g, (char *) v->value.data, v->value.len);
        break;

    case NGX_CSQ_JSON_STRING:
        (void) yajl_gen_string(g, v->value.data, v->value.len);
        break;

    case NGX_CSQ_JSON_ARRAY:
        (void) yajl_gen_array_open(g);

        for (e = v->first; e; e = e->next) {
            ngx_csq_json_gen_value(g, e);
        }

        (void) yajl_gen_array_close(g);
        break;

    default: /* NGX_CSQ_JSON_OBJECT */
        (void) yajl_gen_map_open(g);
        ngx_csq_json_gen_members(g, v);
        (void) yajl_gen_map_close(g);
    }
}


void
ngx_csq_json_gen_members(yajl_gen g, ngx_csq_json_t *obj)
{
    ngx_csq_json_t  *e;

    for (e = obj->first; e; e = e->next) {
        (void) yajl_gen_string(g, e->key.data, e->key.len);
        ngx_csq_json_gen_value(g, e);
    }
}


void
ngx_csq_json_gen_str(yajl_gen g, ngx_str_t *s)
{
    (void) yajl_gen_string(g, s->data, s->len);
}


void
ngx_csq_json_gen_cstr(yajl_gen g, char *s)
{
    (void) yajl_gen_string(g, (u_char *) s, ngx_strlen(s));
}


ngx_int_t
ngx_csq_json_utf8(ngx_str_t *s)
{
    u_char  *p, *last;

    p = s->data;
    last = s->data + s->len;

    while (p < last) {
        if (*p < 0x80) {
            p++;
            continue;
        }

        if (ngx_utf8_decode(&p, last - p) > 0x10ffff) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_csq_json_body_text(ngx_http_request_t *r, ngx_str_t *text)
{
    u_char       *p;
    size_t        len;
    ngx_chain_t  *cl;

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    text->data = p;
    text->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    return NGX_OK;
}


ngx_int_t
ngx_csq_json_send(ngx_http_request_t *r, ngx_uint_t status, yajl_gen g)
{
    size_t                len;
    ngx_str_t             json;
    const unsigned char  *buf;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "csq: incomplete JSON document");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the document stays in the pool until the request ends */

    json.data = (u_char *) buf;
    json.len = len;

    return ngx_csq_json_send_text(r, status, &json);
}


ngx_int_t
ngx_csq_json_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_str_t  type = ngx_string("application/json");

    return ngx_csq_send_body(r, status, &type, json);
}


ngx_int_t
ngx_csq_json_error(ngx_http_request_t *r, ngx_uint_t status, char *code,
    char *message)
{
    yajl_gen    g;
    ngx_uint_t  level;

    /*
     * client errors are the client's business, and a 503 follows a Redis
     * trouble that is logged once where it happens: info for both
     */

    level = (status < NGX_HTTP_INTERNAL_SERVER_ERROR
             || status == NGX_HTTP_SERVICE_UNAVAILABLE)
            ? NGX_LOG_INFO : NGX_LOG_WARN;

    ngx_log_error(level,
                  r->connection->log, 0, "csq: %ui %s: %s",
                  status, code, message);

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "error");
    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "code");
    ngx_csq_json_gen_cstr(g, code);
    ngx_csq_json_gen_cstr(g, "message");
    ngx_csq_json_gen_cstr(g, message);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);

    return ngx_csq_json_send(r, status, g);
}


/* 405 with Allow: the methods (NGX_HTTP_GET | ...) the path takes */

ngx_int_t
ngx_csq_json_not_allowed(ngx_http_request_t *r, ngx_uint_t allowed)
{
    u_char      *p;
    ngx_str_t    allow;
    ngx_uint_t   i;

    static struct {
        ngx_uint_t   method;
        char        *name;
    } methods[] = {
        { NGX_HTTP_GET, "GET" }, { NGX_HTTP_HEAD, "HEAD" },
        { NGX_HTTP_POST, "POST" }, { NGX_HTTP_PUT, "PUT" },
        { NGX_HTTP_DELETE, "DELETE" }
    };

    allow.data = ngx_pnalloc(r->pool, sizeof("GET, HEAD, POST, PUT, DELETE"));
    if (allow.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = allow.data;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (allowed & methods[i].method) {
            if (p != allow.data) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, methods[i].name, ngx_strlen(methods[i].name));
        }
    }

    allow.len = p - allow.data;

    if (ngx_csq_add_header(r, "Allow", &allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_json_error(r, NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
                              "this path does not take this method");
}
