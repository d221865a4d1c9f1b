
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CHANNEL_H_INCLUDED_
#define _NGX_CSQ_CHANNEL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_call.h"


/* POST tenants/<t>/channels/<id>/inbound: a body hook (signed webhooks) */
ngx_int_t ngx_csq_channel_inbound(ngx_http_request_t *r,
    ngx_csq_fcall_t *a, ngx_csq_json_t *body);

/* PUT tenants/<t>/channels/<id>: a body hook (the url's allow list) */
ngx_int_t ngx_csq_channel_put(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body);

/* GET tenants/<t>/channels/<id>/key: a handler */
ngx_int_t ngx_csq_channel_key_get(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);


#endif /* _NGX_CSQ_CHANNEL_H_INCLUDED_ */
