
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_STATUS_H_INCLUDED_
#define _NGX_CSQ_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* csq_status: the content handler of the health endpoint */
ngx_int_t ngx_csq_status_handler(ngx_http_request_t *r);


#endif /* _NGX_CSQ_STATUS_H_INCLUDED_ */
