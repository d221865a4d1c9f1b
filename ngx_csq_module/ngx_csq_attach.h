
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_ATTACH_H_INCLUDED_
#define _NGX_CSQ_ATTACH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"
#include "ngx_csq_call.h"


/*
 * POST tenants/<t>/conversations/<id>/attachments?name=<file name>: the
 * body is the file, its Content-Type the declared type (a route handler)
 */
ngx_int_t ngx_csq_attach_upload(ngx_http_request_t *r, ngx_csq_fcall_t *a);

/* GET tenants/<t>/attachments/<id>: the file, passive (a route handler) */
ngx_int_t ngx_csq_attach_get(ngx_http_request_t *r, ngx_csq_fcall_t *a);


#endif /* _NGX_CSQ_ATTACH_H_INCLUDED_ */
