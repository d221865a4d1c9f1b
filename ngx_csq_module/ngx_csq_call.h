
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CALL_H_INCLUDED_
#define _NGX_CSQ_CALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_http.h"


/*
 * Calls a function of the Redis library for the request and returns
 * NGX_DONE (or an error status); the handler gets the reply, Redis trouble
 * becomes a 503.
 */
ngx_int_t ngx_csq_call(ngx_http_request_t *r, ngx_uint_t fn,
    ngx_uint_t nkeys, ngx_str_t *argv, ngx_uint_t argc,
    ngx_csq_reply_pt handler);

/* a function's KEYS[1] (the tenant's hash) and ARGV[1] (now, ms) */
ngx_int_t ngx_csq_fcall_head(ngx_pool_t *pool, ngx_str_t *tenant,
    ngx_str_t *key, ngx_str_t *now);


#endif /* _NGX_CSQ_CALL_H_INCLUDED_ */
