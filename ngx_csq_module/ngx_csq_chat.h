
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CHAT_H_INCLUDED_
#define _NGX_CSQ_CHAT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_chat_call.h"


/* the socket's callbacks (ngx_csq_ws_t): a client frame, the keepalive
 * interval, the end */
void ngx_csq_chat_message(ngx_csq_ws_t *ws, u_char *data, size_t len);
void ngx_csq_chat_ping(ngx_csq_ws_t *ws);
void ngx_csq_chat_close(ngx_csq_ws_t *ws);


#endif /* _NGX_CSQ_CHAT_H_INCLUDED_ */
