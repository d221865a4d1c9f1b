
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_REDIS_EVENT_H_INCLUDED_
#define _NGX_CSQ_REDIS_EVENT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>


/* the context's socket on the worker's event loop (hiredis keeps the fd) */
ngx_int_t ngx_csq_redis_event_attach(redisAsyncContext *ac, ngx_log_t *log);

/*
 * what the data of a csq timer event points to: nginx's debug log of a
 * timer reads ev->data as a connection; the handlers find their object
 * from the event itself
 */
extern ngx_connection_t  ngx_csq_timer_conn;


#endif /* _NGX_CSQ_REDIS_EVENT_H_INCLUDED_ */
