
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_AUTH_H_INCLUDED_
#define _NGX_CSQ_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* roles, in order of power: a higher role may do what a lower one may */
#define NGX_CSQ_ROLE_NONE         0
#define NGX_CSQ_ROLE_CUSTOMER     1    /* the token's "agent" is its id */
#define NGX_CSQ_ROLE_AGENT        2
#define NGX_CSQ_ROLE_SUPERVISOR   3
#define NGX_CSQ_ROLE_ADMIN        4
#define NGX_CSQ_ROLE_PLATFORM     5    /* the operator: creates tenants */

#define NGX_CSQ_TOKEN_TTL         (12 * 60 * 60)


/*
 * session (R9.5): an agent's, supervisor's or admin's login session, which
 * the Redis library checks on every call; the platform's generation
 * (csq_platform_generation); empty for a customer
 */
struct ngx_csq_token_s {
    ngx_str_t    tenant;       /* "*" for the platform role */
    ngx_str_t    agent;
    ngx_uint_t   role;
    time_t       expires;
    ngx_str_t    session;
};

/* base64url of 16 random bytes */
#define NGX_CSQ_SESSION_LEN       22


ngx_int_t ngx_csq_token_make(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_csq_token_t *tk, ngx_str_t *out);
ngx_int_t ngx_csq_token_check(ngx_http_request_t *r, ngx_str_t *secret,
    ngx_csq_token_t *tk, ngx_uint_t ws);
ngx_int_t ngx_csq_token_parse(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_str_t *token, ngx_csq_token_t *tk);

/* a new session id into buf, NGX_CSQ_SESSION_LEN bytes */
ngx_int_t ngx_csq_session_new(u_char *buf);

/*
 * The role a function of the library is called with: the role's name,
 * and " <session>" for an agent's, supervisor's or admin's token
 */
ngx_int_t ngx_csq_token_role(ngx_pool_t *pool, ngx_csq_token_t *tk,
    ngx_str_t *out);

/* R1.5: customer ids signed by the tenant's site */
#define NGX_CSQ_IDENTITY_KEY_LEN  64

void ngx_csq_identity_key(ngx_str_t *secret, ngx_str_t *tenant, u_char *hex);
ngx_int_t ngx_csq_identity_check(ngx_str_t *secret, ngx_str_t *tenant,
    ngx_str_t *customer, ngx_str_t *hash);

/* R1.4: a channel's key and a webhook's signature (hex, 64 bytes each) */
void ngx_csq_channel_key(ngx_str_t *secret, ngx_str_t *tenant,
    ngx_str_t *channel, ngx_uint_t generation, u_char *hex);
ngx_int_t ngx_csq_channel_sign(ngx_pool_t *pool, u_char *key, time_t ts,
    ngx_str_t *body, u_char *sig);

/* "pbkdf2-sha256$<iterations>$<salt>$<hash>" fits in this */
#define NGX_CSQ_PASSWORD_HASH_LEN  128


/*
 * rc: NGX_OK (verified, or hashed into hash), NGX_DECLINED (no match),
 * NGX_ERROR.  Called from the event loop; it finalizes the request.
 */
typedef void (*ngx_csq_password_done_pt)(ngx_http_request_t *r,
    ngx_int_t rc, ngx_str_t *hash);

/*
 * PBKDF2 is slow on purpose: it runs in nginx's "default" thread pool,
 * never in the worker's event loop (inline only in a build without
 * threads).  With stored NULL the password is hashed, else checked against
 * stored.  Returns NGX_DONE (done will be called) or an HTTP error.
 */
ngx_int_t ngx_csq_password_job(ngx_http_request_t *r, ngx_str_t *password,
    ngx_str_t *stored, ngx_csq_password_done_pt done);

ngx_int_t ngx_csq_password_init_conf(ngx_conf_t *cf);
void ngx_csq_password_init_process(void);

ngx_uint_t ngx_csq_role_parse(ngx_str_t *name);
char *ngx_csq_role_name(ngx_uint_t role);


#endif /* _NGX_CSQ_AUTH_H_INCLUDED_ */
