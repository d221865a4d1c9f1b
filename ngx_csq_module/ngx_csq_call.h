
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CALL_H_INCLUDED_
#define _NGX_CSQ_CALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_http.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_redis.h"


/*
 * What a function of the Redis library is called with for a request: the
 * calling convention of functions/lib/common.lua.  KEYS[1] is the
 * tenant's key (KEYS[2] the tenant registry when registry is set); ARGV:
 * now, actor, role, id, body, extra, the page's origin (origin, else the
 * request's Origin header) and the request's Host: the library decides
 * whether that is another site's and whether the tenant lets it in.
 */
typedef struct {
    ngx_uint_t          fn;
    ngx_str_t           tenant;
    ngx_csq_token_t     token;      /* the actor: its id and role */
    ngx_str_t           id;
    ngx_str_t           body;
    ngx_str_t           extra;
    ngx_str_t           origin;
    unsigned            registry:1;
} ngx_csq_fcall_t;


/*
 * Calls a->fn for the request and returns NGX_DONE (or an error status);
 * the handler gets the reply (NULL: ngx_csq_call_reply), Redis trouble
 * becomes a 503.
 */
ngx_int_t ngx_csq_call(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_reply_pt handler);

/* the same with the keys and arguments as they are (the health probe) */
ngx_int_t ngx_csq_call_argv(ngx_http_request_t *r, ngx_uint_t fn,
    ngx_uint_t nkeys, ngx_str_t *argv, ngx_uint_t argc,
    ngx_csq_reply_pt handler);

/* the reply { status, JSON } sent as it is */
ngx_int_t ngx_csq_call_reply(ngx_http_request_t *r, void *reply);

/*
 * A reply { status, text, ... }: its status and its text, copied into the
 * request's pool.  NGX_ERROR (logged) when the reply has another shape.
 */
ngx_int_t ngx_csq_call_result(ngx_http_request_t *r, redisReply *reply,
    ngx_int_t *status, ngx_str_t *text);

/*
 * The reply's JSON when its status is the one the handler goes on with:
 * then NGX_DECLINED.  Any other status is sent as it is (a reply of
 * another shape is a 500; { 429, error, seconds } with Retry-After), and
 * what the handler is to return is returned.
 */
ngx_int_t ngx_csq_call_expect(ngx_http_request_t *r, void *reply,
    ngx_int_t status, ngx_str_t *json);

/* sends a function's JSON with its status; errors are logged (4xx info) */
ngx_int_t ngx_csq_call_send(ngx_http_request_t *r, ngx_int_t status,
    ngx_str_t *json);


#endif /* _NGX_CSQ_CALL_H_INCLUDED_ */
