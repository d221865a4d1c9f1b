
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_REDIS_H_INCLUDED_
#define _NGX_CSQ_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include "ngx_csq_module.h"
#include "ngx_csq_functions.h"
#include "ngx_csq_redis_event.h"


/* what a command's handler is told */
#define NGX_CSQ_REDIS_OK        0   /* a reply, possibly an error reply */
#define NGX_CSQ_REDIS_DOWN      1   /* no connection, or it was lost */
#define NGX_CSQ_REDIS_TIMEOUT   2   /* no reply within csq_redis_timeout */


/*
 * Called once per command, never from inside ngx_csq_redis_fcall().
 * The reply is freed when the handler returns: copy what is needed.
 */
typedef void (*ngx_csq_redis_handler_pt)(void *data, ngx_int_t rc,
    redisReply *reply);


ngx_int_t ngx_csq_redis_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf);
void ngx_csq_redis_done(ngx_cycle_t *cycle);

/*
 * FCALL (FCALL_RO for a read-only one) of a function of the embedded
 * library: argv[0 .. nkeys - 1] are its KEYS, the rest its ARGV.  Returns
 * NULL when Redis cannot be reached right now (the caller answers 503 at
 * once); otherwise the handler will be called.
 */
ngx_csq_redis_cmd_t *ngx_csq_redis_fcall(ngx_uint_t fn,
    ngx_uint_t nkeys, ngx_str_t *argv, ngx_uint_t argc,
    ngx_csq_redis_handler_pt handler, void *data);

/*
 * A new hiredis context on the event loop, connecting (NULL: failed, logged
 * at level); ngx_csq_redis_login() queues its AUTH and SELECT and returns
 * how many replies fn will get (privdata names the command).
 */
redisAsyncContext *ngx_csq_redis_open(ngx_log_t *log, ngx_uint_t level);
ngx_uint_t ngx_csq_redis_login(redisAsyncContext *ac, redisCallbackFn *fn);


/* the caller lost interest (its request went away): never call back */
void ngx_csq_redis_cancel(ngx_csq_redis_cmd_t *cmd);

/* an error reply that says Redis is full (maxmemory, noeviction) */
ngx_uint_t ngx_csq_redis_full(redisReply *reply);


#endif /* _NGX_CSQ_REDIS_H_INCLUDED_ */
