
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CHAT_OPEN_H_INCLUDED_
#define _NGX_CSQ_CHAT_OPEN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* a socket handshake (chat/ws, agent/ws) whose token is checked */
ngx_int_t ngx_csq_chat_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_csq_token_t *tk, ngx_uint_t customer);


#endif /* _NGX_CSQ_CHAT_OPEN_H_INCLUDED_ */
