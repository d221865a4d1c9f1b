
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_AUTH_H_INCLUDED_
#define _NGX_CSQ_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* roles, in order of power: a higher role may do what a lower one may */
#define NGX_CSQ_ROLE_NONE         0
#define NGX_CSQ_ROLE_CUSTOMER     1    /* the token's "agent" is its id */
#define NGX_CSQ_ROLE_AGENT        2
#define NGX_CSQ_ROLE_SUPERVISOR   3
#define NGX_CSQ_ROLE_ADMIN        4
#define NGX_CSQ_ROLE_PLATFORM     5    /* the operator: creates tenants */

#define NGX_CSQ_TOKEN_TTL         (12 * 60 * 60)


typedef struct {
    ngx_str_t    tenant;       /* "*" for the platform role */
    ngx_str_t    agent;
    ngx_uint_t   role;
    time_t       expires;
} ngx_csq_token_t;


ngx_int_t ngx_csq_token_make(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_csq_token_t *tk, ngx_str_t *out);
ngx_int_t ngx_csq_token_check(ngx_http_request_t *r, ngx_str_t *secret,
    ngx_csq_token_t *tk);

ngx_int_t ngx_csq_password_hash(ngx_pool_t *pool, ngx_str_t *password,
    ngx_str_t *out);
ngx_int_t ngx_csq_password_verify(ngx_str_t *password, ngx_str_t *stored);

ngx_uint_t ngx_csq_role_parse(ngx_str_t *name);
char *ngx_csq_role_name(ngx_uint_t role);


#endif /* _NGX_CSQ_AUTH_H_INCLUDED_ */
