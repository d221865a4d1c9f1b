
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_LOGIN_H_INCLUDED_
#define _NGX_CSQ_LOGIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_call.h"


/* hooks of the API's routes, with the body parsed (return like handlers) */
ngx_int_t ngx_csq_login_body(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body);
ngx_int_t ngx_csq_login_password(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body);
ngx_int_t ngx_csq_login_arrive(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body);
ngx_int_t ngx_csq_login_entry(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body);

/* GET tenants/<t>/identity, answered here */
ngx_int_t ngx_csq_login_identity(ngx_http_request_t *r, ngx_csq_fcall_t *a);


#endif /* _NGX_CSQ_LOGIN_H_INCLUDED_ */
