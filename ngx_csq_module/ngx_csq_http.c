
/*
 * Copyright (C) ngx_csq_module authors
 *
 * What every csq endpoint needs of its HTTP request, whatever it does:
 * the request's context (and the cleanup that cancels its Redis call when
 * the request goes away), the id check, the page's Origin and Host for the
 * library's origin rule, request and response headers, and a body sent
 * from memory.  Nothing here knows an
 * endpoint; the endpoints and the socket code sit above it.
 */


#include "ngx_csq_http.h"
#include "ngx_csq_redis.h"


static void ngx_csq_ctx_cleanup(void *data);


static void
ngx_csq_ctx_cleanup(void *data)
{
    ngx_csq_ctx_t  *ctx = data;

    /* the request is going away: its Redis reply must find nobody */

    if (ctx->cmd) {
        ngx_csq_redis_cancel(ctx->cmd);
        ctx->cmd = NULL;
    }
}


ngx_csq_ctx_t *
ngx_csq_get_ctx(ngx_http_request_t *r)
{
    ngx_csq_ctx_t       *ctx;
    ngx_pool_cleanup_t  *cln;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    if (ctx) {
        return ctx;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_csq_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_csq_ctx_t));

    cln->handler = ngx_csq_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_csq_module);

    return ctx;
}


ngx_uint_t
ngx_csq_trusted(ngx_connection_t *c, ngx_csq_loc_conf_t *clcf)
{
    return clcf->trusted != NULL
           && ngx_cidr_match(c->sockaddr, clcf->trusted) == NGX_OK;
}


/* an id: 1-64 of A-Z a-z 0-9 _ - . */

ngx_int_t
ngx_csq_valid_id(ngx_str_t *id)
{
    u_char      c;
    ngx_uint_t  i;

    if (id->len == 0 || id->len > NGX_CSQ_ID_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || c == '.'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * The request's Origin header and its Host, as sent ("" when absent): the
 * library compares origins (functions/lib/common.lua, origin_of), here
 * nothing is compared
 */

void
ngx_csq_request_origin(ngx_http_request_t *r, ngx_str_t *origin,
    ngx_str_t *host)
{
    ngx_table_elt_t  *h;

    ngx_str_null(origin);
    ngx_str_null(host);

    h = ngx_csq_header_in(r, "Origin", sizeof("Origin") - 1);
    if (h) {
        *origin = h->value;
    }

    if (r->headers_in.host) {
        *host = r->headers_in.host->value;
    }
}


/* a request header by name, in any case; NULL if absent */

ngx_table_elt_t *
ngx_csq_header_in(ngx_http_request_t *r, char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* a response header; key and value must live as long as the request */

ngx_int_t
ngx_csq_add_header(ngx_http_request_t *r, char *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    return NGX_OK;
}


/* a body in memory that lives as long as the request (or longer) */

ngx_int_t
ngx_csq_send_body(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *type,
    ngx_str_t *body)
{
    ngx_buf_t    *b;
    ngx_int_t     rc;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;

    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->method == NGX_HTTP_HEAD || body->len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
