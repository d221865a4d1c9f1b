
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_HTTP_H_INCLUDED_
#define _NGX_CSQ_HTTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* what an endpoint does with its Redis reply; returns like a handler */
typedef ngx_int_t (*ngx_csq_reply_pt)(ngx_http_request_t *r, void *reply);


/* a request's context, the same for every csq endpoint */
typedef struct {
    ngx_int_t               (*body_handler)(ngx_http_request_t *r,
                                            ngx_csq_json_t *body);
    ngx_csq_reply_pt          reply_handler;
    ngx_csq_redis_cmd_t      *cmd;         /* the Redis call in flight */
    void                     *data;        /* the endpoint's own state */
} ngx_csq_ctx_t;


/* the request's context, made on first use with its cleanup */
ngx_csq_ctx_t *ngx_csq_get_ctx(ngx_http_request_t *r);

/* NGX_OK when id is 1-64 of A-Z a-z 0-9 _ - . (NGX_CSQ_ID_MAX) */
ngx_int_t ngx_csq_valid_id(ngx_str_t *id);

/* 1 when the client's address is one of csq_trusted (no limits) */
ngx_uint_t ngx_csq_trusted(ngx_connection_t *c, ngx_csq_loc_conf_t *clcf);

/* the request's Origin and Host headers as sent ("" when absent) */
void ngx_csq_request_origin(ngx_http_request_t *r, ngx_str_t *origin,
    ngx_str_t *host);

/* a request header by name, in any case; NULL if absent */
ngx_table_elt_t *ngx_csq_header_in(ngx_http_request_t *r, char *name,
    size_t len);

/* a response header; key and value must live as long as the request */
ngx_int_t ngx_csq_add_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value);

/* sends a body of the given content type from memory */
ngx_int_t ngx_csq_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body);


#endif /* _NGX_CSQ_HTTP_H_INCLUDED_ */
