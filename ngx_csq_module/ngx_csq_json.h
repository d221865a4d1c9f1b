
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_JSON_H_INCLUDED_
#define _NGX_CSQ_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <yajl/yajl_gen.h>
#include "ngx_csq_module.h"
#include "ngx_csq_http.h"


#define NGX_CSQ_JSON_NULL     0
#define NGX_CSQ_JSON_FALSE    1
#define NGX_CSQ_JSON_TRUE     2
#define NGX_CSQ_JSON_NUMBER   3
#define NGX_CSQ_JSON_STRING   4
#define NGX_CSQ_JSON_ARRAY    5
#define NGX_CSQ_JSON_OBJECT   6

#define NGX_CSQ_JSON_MAX_DEPTH   32
#define NGX_CSQ_JSON_MAX_NODES   10000


/* a parsed JSON value, in the request pool */
struct ngx_csq_json_s {
    ngx_uint_t        type;
    ngx_str_t         key;       /* member name, inside an object */
    ngx_str_t         value;     /* string text, or a number as written */
    ngx_uint_t        n;         /* members or elements */
    ngx_csq_json_t   *first;     /* first member or element */
    ngx_csq_json_t   *last;
    ngx_csq_json_t   *next;      /* next member or element */
    ngx_csq_json_t   *parent;
};


/* returns what a content handler returns */
typedef ngx_int_t (*ngx_csq_json_body_pt)(ngx_http_request_t *r,
    ngx_csq_json_t *body);


/*
 * Reads the request body (limited by csq_max_body) and parses it; then
 * calls the handler with the root value, or answers 400/413 itself.
 * Returns what a content handler returns.
 */
ngx_int_t ngx_csq_json_read_body(ngx_http_request_t *r,
    ngx_csq_json_body_pt handler);

ngx_int_t ngx_csq_json_parse(ngx_pool_t *pool, ngx_chain_t *in,
    ngx_csq_json_t **root, ngx_str_t *err);
ngx_csq_json_t *ngx_csq_json_get(ngx_csq_json_t *obj, char *key);

/* a JSON text in memory (a function's reply), parsed as a body would be */
ngx_int_t ngx_csq_json_parse_text(ngx_pool_t *pool, ngx_str_t *text,
    ngx_csq_json_t **root);

yajl_gen ngx_csq_json_gen(ngx_http_request_t *r);
void ngx_csq_json_gen_str(yajl_gen g, ngx_str_t *s);
void ngx_csq_json_gen_cstr(yajl_gen g, char *s);

/* a parsed value again, generated (its members: the caller adds more) */
void ngx_csq_json_gen_value(yajl_gen g, ngx_csq_json_t *v);
void ngx_csq_json_gen_members(yajl_gen g, ngx_csq_json_t *obj);

/* NGX_OK when s is valid UTF-8 (what a JSON string may hold) */
ngx_int_t ngx_csq_json_utf8(ngx_str_t *s);

/* the body already read, as one string in the request pool */
ngx_int_t ngx_csq_json_body_text(ngx_http_request_t *r, ngx_str_t *text);

/* 405 method_not_allowed, with Allow: the methods (a mask) it takes */
ngx_int_t ngx_csq_json_not_allowed(ngx_http_request_t *r,
    ngx_uint_t allowed);

/* sends a JSON text made elsewhere (by a Redis script) */
ngx_int_t ngx_csq_json_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);

/* sends the generated document, returns what the output filters did */
ngx_int_t ngx_csq_json_send(ngx_http_request_t *r, ngx_uint_t status,
    yajl_gen g);

/* {"error":{"code":...,"message":...}} */
ngx_int_t ngx_csq_json_error(ngx_http_request_t *r, ngx_uint_t status,
    char *code, char *message);


#endif /* _NGX_CSQ_JSON_H_INCLUDED_ */
